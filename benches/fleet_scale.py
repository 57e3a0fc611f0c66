"""Fleet scale: resident memory per premises and GBCS command throughput as the number of premises grows.

    python -m benches.fleet_scale --sizes 100,1000,10000,100000 --out benches/results/fleet_scale

For each N, in a fresh process (so that its resident memory is that size's alone):

* build the fleet the MQTT worker serves (:func:`proving.fleet.fleet_dcc`, the DCC front end
  included; without the DUIS schema a bare :class:`~proving.fleet.Fleet`) and the
  :class:`~proving.mqtt_bridge.MessageHandler` that routes inbound MQTT messages;
* materialise every premises: one cheap non-critical read (:meth:`Fleet.read_command
  <proving.fleet.Fleet.read_command>`) to each of its ESME, GSME, CHF and GPF through the
  handler, so every device exists and has built what a command makes it build;
* record VmRSS (``/proc/self/status``) before and after, and the bytes per premises
  ((after - before) / N, and the whole process / N);
* measure throughput: ``--commands`` reads to devices drawn uniformly at random over all N
  premises and their four slots, built beforehand (the head end's cost), timed through
  ``MessageHandler.handle`` exactly as the MQTT worker calls it (topic parse, frame parse,
  routing, the device's MAC check, execution and MAC'd response); best of ``--passes``, as
  commands per second of the process's CPU time (the machine may be shared; wall-clock rates
  are recorded too).

Results go to ``<out>.json`` and a plot to ``<out>.png`` (memory per premises and
throughput against N, log x-axis).  Targets (issue 8): 100,000 premises within 8 GB RSS;
throughput at the largest N within 20 % of the smallest.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_RSS_BYTES = 8 * 1024**3
TARGET_THROUGHPUT_DROP = 0.20
DEFAULT_SIZES = (100, 1000, 10_000, 100_000)
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "fleet_scale"
_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def rss() -> int:
    """This process's resident set size in bytes (VmRSS)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def default_xsd() -> Path | None:
    """The DUIS schema directory of the reference corpus ($SMETSIM_CORPUS or ../shared/corpus), if present."""
    xsd = Path(os.environ.get("SMETSIM_CORPUS", _CORPUS)) / "duis" / "xsd"
    return xsd if xsd.is_dir() else None


def _handler(state: Path, xsd: Path | None, count: int) -> tuple[Any, Any]:
    """(fleet, MessageHandler) as ``smetsim mqtt-serve --premises count`` builds them."""
    from proving.fleet import Fleet, fleet_dcc
    from proving.mqtt_bridge import MessageHandler

    if xsd is not None:
        dcc = fleet_dcc(state, xsd, count, audit_name=f"audit-{count}.sqlite")
        return dcc.premises, MessageHandler(dcc)

    class _GbcsOnly:  # GBCS commands need only the premises; DUIS requests would need the front end
        def __init__(self, fleet: Fleet) -> None:
            self.frontend = None
            self.premises = fleet

    fleet = Fleet(state, count)
    return fleet, MessageHandler(_GbcsOnly(fleet))  # type: ignore[arg-type]


def measure(count: int, state: Path, xsd: Path | None, commands: int, passes: int, seed: int) -> dict[str, Any]:
    """Build and materialise ``count`` premises in this process, then time random reads (see the module text)."""
    from proving import mqtt_topics as topics
    from proving.fleet import fleet_eui

    started = time.perf_counter()
    gc.collect()
    rss_start = rss()
    fleet, handler = _handler(state, xsd, count)
    slots = len(fleet.slots)
    counter = itertools.count(1)  # one rising counter serves every originator and device
    # warm up (imports, templates, caches) on premises 0, so its cost is not charged to the fleet
    for slot in range(slots):
        handler.handle(topics.gbcs_command(0, fleet_eui(0, slot)), fleet.read_command(0, slot, next(counter)))
    gc.collect()
    rss_before = rss()
    build = time.perf_counter()
    answered = 0
    for index in range(count):
        for slot in range(slots):
            out = handler.handle(topics.gbcs_command(index, fleet_eui(index, slot)),
                                 fleet.read_command(index, slot, next(counter)))
            answered += out[0].topic == topics.gbcs_response(fleet_eui(index, slot))
    build = time.perf_counter() - build
    gc.collect()
    rss_after = rss()
    if answered != count * slots or not all(fleet.built(i) for i in range(count)):
        raise RuntimeError(f"materialising: {answered} of {count * slots} devices answered")

    rng = random.Random(seed)
    rates = []
    for _ in range(passes):
        batch = []
        for _ in range(commands):
            index, slot = rng.randrange(count), rng.randrange(slots)
            batch.append((topics.gbcs_command(index, fleet_eui(index, slot)),
                          fleet.read_command(index, slot, next(counter)), topics.gbcs_response(fleet_eui(index, slot))))
        gc.collect()
        ok = 0
        start, cpu = time.perf_counter(), time.process_time()
        for topic, payload, expected in batch:
            ok += handler.handle(topic, payload)[0].topic == expected
        cpu, elapsed = time.process_time() - cpu, time.perf_counter() - start
        if ok != commands:
            raise RuntimeError(f"throughput pass: {commands - ok} of {commands} commands got no response")
        rates.append((commands / cpu, commands / elapsed))
    gc.collect()
    rss_end = rss()
    return {
        "premises": count,
        "devices": count * slots,
        "front_end": xsd is not None,
        "rss_start_bytes": rss_start,
        "rss_before_bytes": rss_before,
        "rss_after_bytes": rss_after,
        "rss_end_bytes": rss_end,
        "bytes_per_premises": round((rss_after - rss_before) / count),
        "rss_per_premises_bytes": round(rss_after / count),
        "materialise_seconds": round(build, 2),
        "materialise_devices_per_second": round(count * slots / build),
        "commands": commands,
        "passes_commands_per_cpu_second": [round(cpu) for cpu, _ in rates],
        "passes_commands_per_second": [round(wall) for _, wall in rates],
        "commands_per_second": round(max(cpu for cpu, _ in rates)),  # per second of this process's CPU time
        "commands_per_wall_second": round(max(wall for _, wall in rates)),
        "seconds": round(time.perf_counter() - started, 1),
    }


def run_size(count: int, state: Path, xsd: Path | None, commands: int, passes: int, seed: int) -> dict[str, Any]:
    """:func:`measure` in a fresh Python process; its JSON result."""
    argv = [sys.executable, "-m", "benches.fleet_scale", "--worker", str(count), "--state", str(state),
            "--commands", str(commands), "--passes", str(passes), "--seed", str(seed)]
    argv += ["--xsd", str(xsd)] if xsd is not None else ["--no-front-end"]
    done = subprocess.run(argv, check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The targets of issue 8 against the results (smallest N as the throughput baseline)."""
    ordered = sorted(results, key=lambda r: r["premises"])
    smallest, largest = ordered[0], ordered[-1]
    drop = 1 - largest["commands_per_second"] / smallest["commands_per_second"]
    peak = max(r["rss_after_bytes"] for r in ordered)
    return {
        "largest_premises": largest["premises"],
        "largest_rss_bytes": largest["rss_after_bytes"],
        "rss_target_bytes": TARGET_RSS_BYTES,
        "rss_target_met": peak <= TARGET_RSS_BYTES and largest["premises"] >= 100_000,
        "throughput_baseline_premises": smallest["premises"],
        "throughput_drop": round(drop, 3),
        "throughput_drop_target": TARGET_THROUGHPUT_DROP,
        "throughput_target_met": drop <= TARGET_THROUGHPUT_DROP,
    }


def plot(results: list[dict[str, Any]], path: Path) -> None:
    """Memory per premises and throughput against N (log x-axis), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = sorted(results, key=lambda r: r["premises"])
    sizes = [r["premises"] for r in ordered]
    fig, (memory, speed) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    memory.plot(sizes, [r["bytes_per_premises"] / 1024 for r in ordered], "o-", label="added by the premises")
    memory.plot(sizes, [r["rss_per_premises_bytes"] / 1024 for r in ordered], "s--", label="whole process / N")
    memory.set(xscale="log", yscale="log", xlabel="premises (N)", ylabel="KiB per premises (RSS)",
               title="Memory per premises (ESME, GSME, CHF, GPF)")
    memory.set_ylim(top=max(r["rss_per_premises_bytes"] for r in ordered) / 1024 * 2)
    memory.legend(loc="upper right")
    rates = [r["commands_per_second"] for r in ordered]
    speed.plot(sizes, rates, "o-", color="tab:green", label="reads via MessageHandler")
    speed.axhline(rates[0] * (1 - TARGET_THROUGHPUT_DROP), color="tab:red", linestyle=":",
                  label=f"-{TARGET_THROUGHPUT_DROP:.0%} of N={sizes[0]:,}")
    speed.set(xscale="log", xlabel="premises (N)", ylabel="GBCS commands / s (one core)", ylim=(0, max(rates) * 1.15),
              title="Throughput, random premises")
    speed.legend(loc="lower left")
    for r in ordered:
        where = (r["premises"], r["rss_per_premises_bytes"] / 1024)
        memory.annotate(f"{r['rss_after_bytes'] / 1024**2:,.0f} MiB", where, textcoords="offset points",
                        xytext=(0, 6), ha="center", fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma-separated premises counts")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results stem: writes OUT.json and OUT.png")
    parser.add_argument("--commands", type=int, default=5000, help="commands per throughput pass")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--state", type=Path, help="state directory (PKI); default: a temporary one")
    parser.add_argument("--xsd", type=Path, default=default_xsd(), help="DUIS schema directory (for the front end)")
    parser.add_argument("--no-front-end", action="store_true", help="a bare fleet behind the handler")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # measure one size in this process
    args = parser.parse_args()
    xsd = None if args.no_front_end else args.xsd
    if args.worker is not None:
        print(json.dumps(measure(args.worker, args.state, xsd, args.commands, args.passes, args.seed)))
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="fleet-scale-") as scratch:
        state = args.state or Path(scratch)
        from proving.fleet import Fleet

        Fleet(state, 1)  # the PKI, once for every size
        results = []
        for count in sizes:
            result = run_size(count, state, xsd, args.commands, args.passes, args.seed)
            results.append(result)
            print(f"N={count:>7,}: RSS {result['rss_after_bytes'] / 1024**2:8,.0f} MiB, "
                  f"{result['bytes_per_premises']:7,} B/premises, {result['commands_per_second']:6,} commands/s "
                  f"(materialised {result['materialise_devices_per_second']:,} devices/s)", flush=True)
    report = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
              "command": " ".join(["python -m benches.fleet_scale", *sys.argv[1:]]),
              "throughput": "non-critical reads (ESME, GSME, CHF, GPF) to random premises through MessageHandler."
                            "handle; commands per second of process CPU time, best of the passes",
              "summary": summary(results), "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    plot(results, args.out.with_suffix(".png"))
    s = report["summary"]
    print(f"RSS at N={s['largest_premises']:,}: {s['largest_rss_bytes'] / 1024**3:.2f} GiB "
          f"(target <= 8 GiB at 100,000: {'met' if s['rss_target_met'] else 'NOT met'}); throughput change "
          f"{-s['throughput_drop']:+.1%} vs N={s['throughput_baseline_premises']:,} "
          f"(target >= -20 %: {'met' if s['throughput_target_met'] else 'NOT met'})")
    print(f"wrote {args.out.with_suffix('.json')} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
