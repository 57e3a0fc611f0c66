"""Emulated-device throughput and memory: commands/s of one ESME including all crypto, bytes per idle device.

    python -m benches.device_throughput [--commands N] [--passes P] [--devices D] [--json OUT.json]

* non-critical read: an ECS26-style read of four attributes (registers, clock, a data
  object); the device checks the ACB MAC, executes, and MACs its response;
* critical write: an ECS01b-style price update (set the passive unit charge, activate now);
  the device checks the MAC and the supplier's ECDSA signature, executes, and signs;
* idle device: a commissioned ESME with its own DS/KA keys sharing the premises' trust
  anchors; measured as resident memory (includes the OpenSSL key objects) and as Python
  heap (tracemalloc) per device.

Commands are built before timing (that is the head end's cost); the timing covers
``Device.handle`` only, on one core.  Targets per core: >= 3,000 non-critical and
>= 1,500 critical commands/s, <= 50 KB per idle device.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import time
import tracemalloc
from pathlib import Path

from emulator.clock import VirtualClock
from emulator.cosem_classes import node, structure
from emulator.device import Device
from emulator.kinds import create_device
from emulator.testkit import RemoteParties, access_request

TARGET_NON_CRITICAL = 3000.0
TARGET_CRITICAL = 1500.0
TARGET_IDLE_BYTES = 50 * 1024
EUI = bytes.fromhex("00DB1234567890B0")
NULL = {"type": "null"}
READ = [
    ("get", 3, bytes((1, 0, 1, 8, 0, 255)), 2, NULL),
    ("get", 3, bytes((1, 0, 1, 8, 0, 255)), 3, NULL),
    ("get", 8, bytes((0, 0, 1, 0, 0, 255)), 2, NULL),
    ("get", 1, bytes((0, 0, 94, 44, 0, 4)), 2, NULL),
]
CHARGE = bytes((0, 0, 19, 20, 0, 255))
NOW = "0000000000000000008000FF"


def _write(price: int) -> list[tuple]:
    unit_charge = structure(
        structure(node("integer", 0), node("integer", -5)),
        structure(node("long-unsigned", 3), node("octet-string", "0100010800FF"), node("integer", 2)),
        node("array", [structure(node("octet-string", "01"), node("long", price))]),
    )
    return [("set", 113, CHARGE, 6, unit_charge), ("set", 113, CHARGE, 7, node("octet-string", NOW))]


def _commands(parties: RemoteParties, device: Device, count: int, critical: bool) -> list[bytes]:
    out = []
    for counter in range(1, count + 1):
        if critical:
            out.append(parties.command(device, 0x00A2, access_request(counter, _write(counter % 1000)), counter,
                                       signed=True))
        else:
            out.append(parties.command(device, 0x003C, access_request(counter, READ), counter))
    return out


def rate(parties: RemoteParties, count: int, passes: int, critical: bool) -> float:
    """Best commands per second over ``passes`` runs of ``count`` commands (fresh device per pass)."""
    best = 0.0
    for _ in range(passes):
        device = create_device("ESME", EUI, VirtualClock("2020-01-01T00:00:00Z"), parties.anchors)
        commands = _commands(parties, device, count, critical)
        gc.collect()
        start = time.perf_counter()
        for raw in commands:
            out = device.handle(raw)
        elapsed = time.perf_counter() - start
        if out.response is None or len(device.security_log):
            raise RuntimeError(f"bench command refused: {device.security_log.entries()[-1:]}")
        best = max(best, count / elapsed)
    return best


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def idle_memory(parties: RemoteParties, devices: int) -> tuple[float, float]:
    """(resident bytes, Python heap bytes) per idle commissioned device."""
    clock = VirtualClock("2020-01-01T00:00:00Z")
    create_device("ESME", EUI, clock, parties.anchors)  # warm up imports and caches
    gc.collect()
    rss_before = _rss()
    tracemalloc.start()
    heap_before = tracemalloc.get_traced_memory()[0]
    fleet = [create_device("ESME", (0x00DB000000000000 + i).to_bytes(8, "big"), clock, parties.anchors)
             for i in range(devices)]
    heap_after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    gc.collect()
    rss_after = _rss()
    assert len(fleet) == devices
    return (rss_after - rss_before) / devices, (heap_after - heap_before) / devices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    parties = RemoteParties()
    non_critical = rate(parties, args.commands, args.passes, critical=False)
    critical = rate(parties, args.commands // 2, args.passes, critical=True)
    rss, heap = idle_memory(parties, args.devices)
    result = {
        "python": platform.python_version(),
        "non_critical_commands_per_second": round(non_critical),
        "critical_commands_per_second": round(critical),
        "idle_device_resident_bytes": round(rss),
        "idle_device_python_heap_bytes": round(heap),
        "targets": {"non_critical": TARGET_NON_CRITICAL, "critical": TARGET_CRITICAL, "idle_bytes": TARGET_IDLE_BYTES},
    }
    print(f"non-critical read (MAC in, MAC out):        {non_critical:8.0f} commands/s "
          f"(target >= {TARGET_NON_CRITICAL:.0f})")
    print(f"critical write (MAC + ECDSA in, ECDSA out): {critical:8.0f} commands/s "
          f"(target >= {TARGET_CRITICAL:.0f})")
    print(f"idle ESME: {rss / 1024:6.1f} KB resident, {heap / 1024:6.1f} KB Python heap per device "
          f"(target <= {TARGET_IDLE_BYTES // 1024} KB)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
