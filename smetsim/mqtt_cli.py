"""``smetsim mqtt-serve``: emulated premises and the DCC front end behind an MQTT broker (docs/mqtt.md)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import click

from .prove_cli import xsd_dir_or_fail


def _shard(ctx: click.Context, param: click.Parameter, value: str) -> Any:
    from proving.mqtt_topics import Shard

    try:
        return Shard.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _embedded_port(broker: str) -> int | None:
    """The port of ``embedded`` (1883) / ``embedded:PORT`` (0: a free one); None for a URL."""
    if broker == "embedded":
        return 1883
    if broker.startswith("embedded:"):
        try:
            return int(broker.split(":", 1)[1])
        except ValueError:
            raise click.BadParameter(f"{broker!r}: expected embedded:PORT", param_hint="--broker") from None
    return None


@click.command("mqtt-serve", short_help="Serve DUIS requests and GBCS commands over MQTT (sharded).")
@click.option("--broker", default="embedded", show_default=True, metavar="URL|embedded[:PORT]",
              help="mqtt://[user[:password]@]host[:port] or mqtts://...; 'embedded' starts amqtt on 127.0.0.1:1883 "
                   "in this process (embedded:0 picks a free port).")
@click.option("--shard", default="1/1", show_default=True, callback=_shard, metavar="K/N",
              help="Serve the premises of shard K of N (partition p = premises % 64 goes to shard p % N + 1).")
@click.option("--premises", "count", default=100, show_default=True, type=click.IntRange(1, 1 << 24),
              help="Number of premises (ESME, GSME, CHF, GPF each), built on their first message.")
@click.option("--state", "state_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="PKI and audit trail; shards sharing it share keys (default: a temporary directory).")
@click.option("--xsd", "xsd_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="The DUIS 5.4 XSD directory [default: $SMETSIM_CORPUS/duis/xsd or ../shared/corpus/duis/xsd].")
@click.option("--client-id", metavar="ID", help="MQTT client id (the persistent session) [default: "
                                                "smetsim-shard-K-of-N].")
@click.option("--share-group", metavar="NAME", help="Subscribe as $share/NAME/... [default: smetsim-K-of-N on an "
                                                   "external broker; none on the embedded one].")
@click.option("--no-share", is_flag=True, help="Plain subscriptions (brokers without shared subscriptions).")
@click.option("--production", is_flag=True, help="Production Proving rules: Section P and G6 anomaly detection "
                                                 "(thresholds approved and entry tests run at start, as `serve`).")
def mqtt_serve(broker: str, shard: Any, count: int, state_dir: str | None, xsd_dir: str | None,
               client_id: str | None, share_group: str | None, no_share: bool, production: bool) -> None:
    """Take DUIS requests and GBCS commands for a range of premises from an MQTT broker and publish
    the signed DUIS responses, device responses, alerts and events (QoS 1, persistent session).

    \b
    Examples:
      smetsim mqtt-serve --premises 1000                       # embedded broker on 127.0.0.1:1883
      smetsim mqtt-serve --broker mqtt://127.0.0.1:1883 --shard 1/2 --premises 1000 --state st
      smetsim mqtt-serve --broker mqtt://127.0.0.1:1883 --shard 2/2 --premises 1000 --state st
    """
    from proving.mqtt_broker import parse_broker_url

    xsd = xsd_dir_or_fail(xsd_dir)
    port = _embedded_port(broker)
    missing = [name for name in ("aiomqtt", "amqtt" if port is not None else "aiomqtt") if find_spec(name) is None]
    if missing:
        raise click.UsageError(f"{', '.join(sorted(set(missing)))} not installed (pip install aiomqtt amqtt)")
    url = None
    if port is None:
        try:
            url = parse_broker_url(broker)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--broker") from None
    group = None if no_share or port is not None else (share_group or f"smetsim-{shard.name}")
    with tempfile.TemporaryDirectory(prefix="smetsim-mqtt-") as scratch:
        state = Path(state_dir) if state_dir else Path(scratch)
        asyncio.run(_serve(url, port, shard, count, state, xsd, client_id, group, production))


async def _serve(url: Any, embedded_port: int | None, shard: Any, count: int, state: Path, xsd: Path,
                 client_id: str | None, group: str | None, production: bool) -> None:
    from proving.fleet import fleet_dcc
    from proving.mqtt_bridge import MessageHandler, MqttBridge
    from proving.mqtt_broker import EmbeddedBroker

    dcc = fleet_dcc(state / "mqtt", xsd, count, audit_name=f"audit-{shard.name}.sqlite", production=production)
    if production:
        from proving.entry import run_entry_tests
        from proving.suites import builtin_items

        dcc.approve_default_thresholds()
        entry = run_entry_tests(dcc, builtin_items(xsd), state / "test-environment", xsd)  # type: ignore[arg-type]
        for role, result in entry.items():
            click.echo(f"entry test {role}: {result['outcome']} ({result['srv']})", err=True)
    embedded = EmbeddedBroker(embedded_port) if embedded_port is not None else None
    if embedded is not None:
        url = await embedded.start()
    bridge = MqttBridge(MessageHandler(dcc), url, shard, client_id=client_id, share_group=group)
    task = asyncio.create_task(bridge.run())
    loop = asyncio.get_running_loop()

    def stop() -> None:  # the first signal lets the message in hand finish, a second one cuts it short
        if bridge.stopping:
            task.cancel()
        else:
            bridge.stop()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    click.echo(f"shard {shard} of {count} premises on {url} as {bridge.client_id}"
               f"{f' (share group {group})' if group else ''}; keys in {state / 'mqtt'}", err=True)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        click.echo(f"stopped: {bridge.handled} messages answered", err=True)
        if embedded is not None:
            await embedded.stop()
        dcc.audit.close()


if __name__ == "__main__":  # python -m smetsim.mqtt_cli, until the command is registered in smetsim.cli
    mqtt_serve()
