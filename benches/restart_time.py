"""Persistence cost: journaled delivery rate, journal replay rate and restart time (issue 8.3).

    python -m benches.restart_time [--commands N] [--repeats R] [--synchronous FULL|NORMAL|OFF]

The workload alternates a signed credit adjustment (critical: signature check, signed
response) and a MAC'd read of the ESME's tamper state, both from the PP import supplier, so
every command changes state (counters, credit).  Measured:

* live: commands/s through :class:`PersistentPremises.deliver` (run + one durable journal
  transaction each), against plain :class:`EmulatedPremises.deliver` with no journal;
* restart: the wall time of opening the state directory again (PKI and configuration read,
  devices rebuilt, the whole journal re-executed) and the replay rate (commands/s), best of R.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from emulator.testkit import access_request
from gbcs.crypto import KeystoreView, secure_message
from proving.identities import ACB
from proving.persistence_load import ESME, SUPPLIER, credit_command
from proving.persistent_premises import PersistentPremises, state_fingerprint
from proving.premises import EmulatedPremises

TAMPER = bytes((0, 0, 94, 44, 0, 4))
READ = 0x00F9
START = datetime(2026, 1, 1, tzinfo=UTC)


def read_command(view: KeystoreView, counter: int) -> bytes:
    """A MAC'd (non-critical) read of the tamper state."""
    content = access_request(counter, [("get", 1, TAMPER, 2, {"type": "null"})])
    return secure_message(cra=1, counter=counter, originator=SUPPLIER.eui, recipient=ESME,
                          other_information=READ.to_bytes(2, "big"), content=content, keystore_view=view,
                          acb_eui=ACB, signature_form="null", mac_header=True)


def workload(view: KeystoreView, count: int) -> list[bytes]:
    """``count`` commands: credit adjustments and reads, alternately, on increasing counters."""
    return [credit_command(view, 1000 + i) if i % 2 == 0 else read_command(view, 1000 + i) for i in range(count)]


def _rate(deliver: object, commands: list[bytes]) -> float:
    started = time.perf_counter()
    for command in commands:
        if deliver(command).response is None:  # type: ignore[operator]
            raise RuntimeError("a command was not answered")
    return len(commands) / (time.perf_counter() - started)


def run(count: int, repeats: int, synchronous: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="restart-time-") as tmp:
        plain = EmulatedPremises(Path(tmp) / "plain", start=START)
        plain_rate = _rate(plain.deliver, workload(plain.keystore.view(), count))
        state = Path(tmp) / "state"
        premises = PersistentPremises(state, start=START, synchronous=synchronous)
        live_rate = _rate(premises.deliver, workload(premises.keystore.view(), count))
        fingerprint = state_fingerprint(premises)
        premises.close()
        journal_bytes = sum(p.stat().st_size for p in state.glob("journal.sqlite*"))
        best_open, best_replay = float("inf"), float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            reopened = PersistentPremises(state)
            best_open = min(best_open, time.perf_counter() - started)
            best_replay = min(best_replay, reopened.replay_seconds)
            if reopened.replayed != count or state_fingerprint(reopened) != fingerprint:
                raise RuntimeError("the restart did not reproduce the state")
            reopened.close()
    return {"commands": count, "plain_per_s": plain_rate, "journaled_per_s": live_rate,
            "restart_s": best_open, "replay_per_s": count / best_replay, "journal_mib": journal_bytes / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--synchronous", default="FULL")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    result = run(args.commands, args.repeats, args.synchronous.upper())
    if args.json:
        print(json.dumps(result))
        return
    print(f"python {platform.python_version()} on {platform.machine()}, {args.commands} commands, "
          f"journal synchronous={args.synchronous.upper()}")
    print(f"live:    {result['plain_per_s']:>8,.0f} cmd/s without journal, "
          f"{result['journaled_per_s']:>8,.0f} cmd/s journaled")
    print(f"restart: {result['restart_s']:.2f} s for {args.commands} journaled commands "
          f"(replay {result['replay_per_s']:,.0f} cmd/s), journal {result['journal_mib']:.1f} MiB")


if __name__ == "__main__":
    main()
