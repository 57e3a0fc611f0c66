"""Alert-storm throttle throughput: microseconds per offered alert under storm and calm traffic.

    python -m benches.alert_storm [--alerts N] [--devices D]

Scenarios: one device storming one code (mostly suppressed), many devices each well under the
threshold (all delivered, many keys), a mixed fleet with the excluded 0x8F75 interleaved, and
the ``quiet`` release rule (with the default unbounded suppressed-log, and with one bounded to
10,000 records).  Per-alert cost should be flat in N (O(1) amortised per alert); what grows is
only the memory of the unbounded suppressed-log, which keeps every suppressed alert.
"""

from __future__ import annotations

import argparse
import platform
import random
import time

from proving.alert_storm import Alert, AlertStormPolicy, StormConfig, SuppressedLog

TAMPER = 0x8F3D


def scenario(name: str, count: int, devices: int) -> tuple[list[Alert], list[float], StormConfig]:
    """Alerts, their arrival times and the config for one named scenario (deterministic)."""
    rng = random.Random(62)
    ids = [f"00-DB-12-34-56-{d >> 8 & 255:02X}-{d & 255:02X}-00" for d in range(devices)]
    times = [i * 0.01 for i in range(count)]
    cfg = StormConfig(window=60, threshold=10)
    if name == "single-storm":
        alerts = [Alert(ids[0], TAMPER) for _ in range(count)]
    elif name == "fleet-calm":
        alerts = [Alert(ids[i % devices], TAMPER) for i in range(count)]
        times = [i * 60.0 / devices * 0.2 for i in range(count)]
    elif name == "fleet-mixed":
        codes = [TAMPER, 0x8F3E, 0x8F75, 0x8F0A, 0x8F1B]
        alerts = [Alert(rng.choice(ids[:50]), rng.choice(codes)) for _ in range(count)]
    elif name in ("quiet-release", "quiet-bounded"):
        alerts = [Alert(rng.choice(ids[:10]), TAMPER) for _ in range(count)]
        times = [i * 0.5 for i in range(count)]
        cfg = StormConfig(window=60, threshold=10, release="quiet", quiet_period=120)
    else:
        raise ValueError(name)
    return alerts, times, cfg


def run(name: str, count: int, devices: int) -> dict[str, float]:
    """Best of three passes over the scenario."""
    alerts, times, cfg = scenario(name, count, devices)
    best = float("inf")
    stats: dict[str, int] = {}
    for _ in range(3):
        log = SuppressedLog(max_records=10_000) if name == "quiet-bounded" else None
        policy = AlertStormPolicy(cfg, sink=log)
        offer = policy.offer
        start = time.perf_counter()
        for alert, at in zip(alerts, times, strict=True):
            offer(alert, at)
        best = min(best, time.perf_counter() - start)
        stats = policy.stats()
    return {"us": best / count * 1e6, "per_s": count / best, **stats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=200_000)
    parser.add_argument("--devices", type=int, default=5_000)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}")
    for name in ("single-storm", "fleet-calm", "fleet-mixed", "quiet-release", "quiet-bounded"):
        for count in (args.alerts // 10, args.alerts):
            r = run(name, count, args.devices)
            print(
                f"{name:<14} {count:>8} alerts: {r['us']:.2f} us/alert ({r['per_s']:>10,.0f}/s)  "
                f"delivered {r['delivered']:>7} suppressed {r['suppressed']:>7} excluded {r['excluded']:>6} "
                f"keys {r['keys']:>5} episodes {r['episodes']:>5}"
            )


if __name__ == "__main__":
    main()
