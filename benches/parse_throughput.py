"""Parse throughput: framing plus full payload decode over a GBCS corpus.

    python -m benches.parse_throughput [CORPUS_DIR] [--passes N] [--json OUT.json]

Reports microseconds per message (mean over the corpus, best of N passes) and messages
per second, overall and per payload type.  Target (issue 2): <= 40 us per message on
average on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from gbcs.message import decode_message

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "rtds"
TARGET_US = 40.0


def load(directory: Path) -> list[bytes]:
    """Every *.HEX message below ``directory``."""
    return [bytes.fromhex(p.read_text().strip()) for p in sorted(directory.rglob("*.HEX"))]


def best_pass(messages: list[bytes], passes: int) -> float:
    """Seconds for the fastest of ``passes`` full passes."""
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for raw in messages:
            decode_message(raw)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--passes", type=int, default=15)
    parser.add_argument("--json", type=Path, default=Path("benches/results/parse_throughput.json"))
    args = parser.parse_args()
    messages = load(args.corpus)
    if not messages:
        raise SystemExit(f"no *.HEX messages under {args.corpus}")
    by_type: dict[str, list[bytes]] = {}
    failures = 0
    for raw in messages:
        result = decode_message(raw)
        failures += not result["ok"]
        by_type.setdefault(result["payload_type"] or "failed", []).append(raw)
    total = best_pass(messages, args.passes)
    report = {
        "messages": len(messages),
        "failures": failures,
        "passes": args.passes,
        "us_per_message": total / len(messages) * 1e6,
        "messages_per_second": len(messages) / total,
        "target_us_per_message": TARGET_US,
        "by_payload_type": {},
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    for kind, group in sorted(by_type.items()):
        seconds = best_pass(group, max(3, args.passes // 3))
        report["by_payload_type"][kind] = {"messages": len(group), "us_per_message": seconds / len(group) * 1e6}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"corpus {args.corpus}: {len(messages)} messages, {failures} failed to parse")
    for kind, row in report["by_payload_type"].items():
        print(f"  {kind:6s} {row['messages']:5d} messages  {row['us_per_message']:8.1f} us/message")
    verdict = "meets" if report["us_per_message"] <= TARGET_US else "MISSES"
    print(f"framing + full payload decode: {report['us_per_message']:.1f} us/message "
          f"({verdict} the {TARGET_US:.0f} us target)")
    print(f"messages_per_second={report['messages_per_second']:.1f}")


if __name__ == "__main__":
    main()
