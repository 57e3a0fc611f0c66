"""``smetsim hil``: the Zigbee hardware-in-the-loop tools (fake NCP, radio status and energy scan).

bellows/zigpy are optional (the ``hil`` extra); every command says so in one line when they
are missing, and port problems (missing, busy, no permission, not an EZSP radio) are
one-line errors with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from smetsim.hil_serial_cli import fake_meter

EXIT_PORT = 2
EXIT_RADIO = 3
PROBE_TIMEOUT = 15.0


def _need_bellows() -> None:
    try:
        import bellows  # noqa: F401
        import zigpy  # noqa: F401
    except ImportError as exc:
        message = f"bellows/zigpy are not installed ({exc.name}): pip install 'smetsim[hil]'"
        raise click.ClickException(message) from None


def check_port(port: str) -> str | None:
    """None when ``port`` can be opened exclusively, else a one-line reason."""
    if not os.path.exists(port):
        return f"{port}: no such serial port (is the radio plugged in? check the path)"
    try:
        fd = os.open(port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except PermissionError:
        return f"{port}: permission denied (add your user to the 'dialout' group)"
    except OSError as exc:
        return f"{port}: cannot open ({exc.strerror})"
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return f"{port}: busy (in use by another process)"
    finally:
        os.close(fd)
    return None


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group("hil", short_help="Hardware-in-the-loop: radio and serial tools, the fake NCP and fake meter.")
def hil() -> None:
    """Zigbee hardware-in-the-loop tools: a fake EZSP radio for CI and demos, and radio diagnostics."""


@hil.command("fake-ncp")
@click.option("--ezsp", "version", type=click.Choice(["13", "8"]), default="13", show_default=True,
              help="EZSP protocol version the fake reports.")
@click.option("--state", "state_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Where the emulated premises keep their PKI (default: a temporary directory).")
@click.option("--link", type=click.Path(dir_okay=False), metavar="PATH",
              help="Serial port path to create (a symlink to the pty; default: in a temporary directory).")
@click.option("--formed", is_flag=True, help="Start with a network already formed (warm start).")
def fake_ncp(version: str, state_dir: str | None, link: str | None, formed: bool) -> None:
    """Run a fake NCP hosting the default emulated premises on a pseudo-terminal.

    The first line of standard output is the serial port path (open it with bellows, or give
    it to the bridge); the devices join with their install codes (listed on standard error).
    Runs until SIGTERM or SIGINT.
    """
    _need_bellows()
    from hil.zigbee.ezsp_fake import FakeNcp
    from proving.premises import EmulatedPremises

    with tempfile.TemporaryDirectory(prefix="smetsim-fake-ncp-") as scratch:
        premises = EmulatedPremises(Path(state_dir) if state_dir else Path(scratch) / "pki")
        ncp = FakeNcp(premises, version=int(version), formed=formed, link=link)
        asyncio.run(_serve(ncp))


async def _serve(ncp: Any) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    path = await ncp.start()
    sys.stdout.write(path + "\n")
    sys.stdout.flush()
    if ncp.air is not None:
        for node in ncp.air.nodes.values():
            code = node.install_code.hex().upper()
            click.echo(f"device {node.eui.hex().upper()} {node.device_type} install-code {code}", err=True)
    try:
        await stop.wait()
    finally:
        await ncp.stop()


async def _probe(port: str, scan: bool) -> dict[str, Any]:
    import bellows.ezsp
    import bellows.types as t
    import zigpy.config as zc

    config = zc.SCHEMA_DEVICE({zc.CONF_DEVICE_PATH: port})
    ezsp = bellows.ezsp.EZSP(config)
    info: dict[str, Any] = {}
    try:
        await ezsp.connect(use_thread=False)
        info["ezsp_version"] = ezsp.ezsp_version
        (state,) = await ezsp.networkState()
        info["network_state"] = getattr(state, "name", str(state))
        (eui,) = await ezsp.getEui64()
        info["eui64"] = str(eui)
        if state == t.EmberNetworkStatus.JOINED_NETWORK:
            status, node_type, params = await ezsp.getNetworkParameters()
            info.update(node_type=getattr(node_type, "name", str(node_type)), pan_id=f"0x{int(params.panId):04X}",
                        extended_pan_id=str(params.extendedPanId), channel=int(params.radioChannel))
        if scan:
            results = await ezsp.startScan(scanType=t.EzspNetworkScanType.ENERGY_SCAN,
                                           channelMask=t.Channels.ALL_CHANNELS, duration=3)
            info["energy"] = {int(channel): int(rssi) for channel, rssi in results}
    finally:
        with contextlib.suppress(Exception):
            await ezsp.disconnect()
    return info


def _run_probe(port: str, scan: bool, timeout: float = PROBE_TIMEOUT) -> dict[str, Any]:
    problem = check_port(port)
    if problem:
        _fail(problem, EXIT_PORT)
    _need_bellows()

    async def bounded() -> dict[str, Any]:
        return await asyncio.wait_for(_probe(port, scan), timeout)

    try:
        return asyncio.run(bounded())
    except TimeoutError:
        _fail(f"{port}: no EZSP answer within {timeout:g} s (not an EZSP radio, or wrong baud rate)",
              EXIT_RADIO)
    except OSError as exc:
        _fail(f"{port}: {exc.strerror or exc}", EXIT_PORT)
    except Exception as exc:  # noqa: BLE001 - a radio that misbehaves gets one line, not a traceback
        _fail(f"{port}: radio did not start: {type(exc).__name__}: {exc}", EXIT_RADIO)
    raise AssertionError("unreachable")


TIMEOUT_OPTION = click.option("--timeout", type=click.FloatRange(0.5, 120), default=PROBE_TIMEOUT,
                              show_default=True, help="Seconds to wait for the radio.")


@hil.command("status")
@click.argument("port")
@TIMEOUT_OPTION
def status(port: str, timeout: float) -> None:
    """Show the EZSP version, network state and parameters of the radio on PORT."""
    info = _run_probe(port, scan=False, timeout=timeout)
    for key, value in info.items():
        click.echo(f"{key}: {value}")


@hil.command("scan")
@click.argument("port")
@TIMEOUT_OPTION
def scan(port: str, timeout: float) -> None:
    """Energy-scan the 2.4 GHz channels with the radio on PORT (RSSI per channel, dBm)."""
    info = _run_probe(port, scan=True, timeout=timeout)
    click.echo(f"ezsp_version: {info['ezsp_version']}")
    for channel, rssi in sorted(info.get("energy", {}).items()):
        click.echo(f"channel {channel}: {rssi} dBm")


hil.add_command(fake_meter)

if __name__ == "__main__":
    hil(prog_name="smetsim hil")
