"""``smetsim hil fake-meter``: emulated devices behind a pseudo-terminal speaking the serial bridge's framing.

Add it to the ``hil`` group with ``hil.add_command(hil_serial_cli.fake_meter)``; it also
runs on its own as ``python -m smetsim.hil_serial_cli``.
"""

from __future__ import annotations

import signal
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

DEVICE_HELP = "EUI:PROFILE:TYPE:FUEL, e.g. 00DB1234567BA000:generic-esme:ESME:electricity (repeatable)"


def _devices(specs: tuple[str, ...]) -> tuple[tuple[str, str, str, str], ...] | None:
    if not specs:
        return None
    devices = []
    for spec in specs:
        parts = spec.split(":")
        if len(parts) != 4 or len(bytes.fromhex(parts[0])) != 8 or parts[3] not in ("electricity", "gas"):
            raise click.BadParameter(f"{spec!r}: expected {DEVICE_HELP.split(',')[0]}", param_hint="--device")
        devices.append((parts[0].upper(), parts[1], parts[2], parts[3]))
    return tuple(devices)


@click.command("fake-meter", short_help="Emulated devices behind a pseudo-terminal, for the serial bridge.")
@click.option("--framing", type=click.Choice(["binary", "text"]), default="binary", show_default=True,
              help="binary: 0xA5 frames with length and CRC-16; text: GFI-style GBCS:DATA#<hex> lines.")
@click.option("--state", "state_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="PKI directory: its keys are used when it holds a PKI (made by the DCC), else one is "
                   "written there [default: a temporary directory].")
@click.option("--device", "device_specs", multiple=True, metavar="SPEC", help=DEVICE_HELP)
@click.option("--link", type=click.Path(dir_okay=False), metavar="PATH",
              help="Expose the pty as this symlink too (kept across port loss) and print it instead.")
@click.option("--tcp", "tcp_port", type=int, metavar="PORT",
              help="Serve on 127.0.0.1:PORT (a socket:// URL) instead of a pty; 0 picks a free port.")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0.0, help="Probability an output byte is lost.")
@click.option("--corrupt-rate", type=click.FloatRange(0, 1), default=0.0,
              help="Probability an output byte is changed.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fault injection.")
@click.option("--silent", is_flag=True, help="Read commands but never answer (the bridge reports E21).")
@click.option("--lose-after", type=click.IntRange(1), metavar="N",
              help="Lose the port on receiving the N-th command (before answering).")
@click.option("--down-for", type=click.FloatRange(0), default=0.3, show_default=True,
              help="Seconds the port stays away after a loss (SIGUSR1 also causes one).")
@click.option("--start", type=click.DateTime(), metavar="ISO", help="Start of the devices' virtual clock (UTC).")
def fake_meter(framing: str, state_dir: str | None, device_specs: tuple[str, ...], link: str | None,
               tcp_port: int | None, drop_rate: float, corrupt_rate: float, seed: int, silent: bool,
               lose_after: int | None, down_for: float, start: datetime | None) -> None:
    """Serve emulated devices (the embedded premises' by default) on a new pseudo-terminal.

    The first line of standard output is the path to open (or the socket:// URL with --tcp);
    the devices run until SIGTERM or SIGINT. Point the DCC at the same --state directory so
    both sides share the keys.

    \b
    Examples:
      smetsim hil fake-meter --state out/pki
      smetsim hil fake-meter --framing text --link /tmp/meter --drop-rate 0.001
    """
    from hil.fake_meter import FakeMeter, Faults, PtyEndpoint, TcpEndpoint, premises_over
    from proving.premises import DEFAULT_DEVICES

    devices = _devices(device_specs) or DEFAULT_DEVICES
    with tempfile.TemporaryDirectory(prefix="smetsim-fake-meter-") as scratch:
        state = Path(state_dir) if state_dir else Path(scratch)
        state.mkdir(parents=True, exist_ok=True)
        when = start.replace(tzinfo=UTC) if start else None
        premises = premises_over(state, start=when, seed=seed, devices=devices)
        endpoint = TcpEndpoint(tcp_port) if tcp_port is not None else PtyEndpoint(link)
        meter = FakeMeter(premises, framing=framing, endpoint=endpoint,
                          faults=Faults(drop_rate, corrupt_rate, seed), lose_after=lose_after, down_for=down_for)
        meter.silent = silent
        endpoint.open()
        stop = threading.Event()

        def finish(*_: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, finish)
        signal.signal(signal.SIGINT, finish)
        signal.signal(signal.SIGUSR1, lambda *_: meter.lose_port())
        click.echo(meter.path)
        sys.stdout.flush()
        click.echo(f"fake meter: {len(premises.devices)} devices, {framing} framing, PKI in {state}", err=True)
        try:
            meter.run(stop)
        finally:
            endpoint.close()


if __name__ == "__main__":
    fake_meter()
