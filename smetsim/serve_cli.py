"""``smetsim serve``: the DCC Boxed DUIS web services in front of the embedded premises."""

from __future__ import annotations

import dataclasses
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import click

from .prove_cli import xsd_dir_or_fail


def mqtt_serve_shard(text: str) -> object:
    """``K/N`` as a shard, or a usage error."""
    from proving.mqtt_topics import Shard

    try:
        return Shard.parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from None


CONFIG_TABLES = ("alert_storm",)


def storm_config(config_file: str | None, alert_storm: str | None) -> Any:
    """The alert-storm throttle of ``--config FILE`` ([alert_storm] table), then ``--alert-storm THRESHOLD/WINDOW``."""
    from proving.alert_storm import StormConfig, StormConfigError

    config = StormConfig()
    if config_file:
        try:
            document = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise click.BadParameter(f"{config_file}: {exc}", param_hint="--config") from None
        unknown = sorted(set(document) - set(CONFIG_TABLES))
        if unknown:
            raise click.BadParameter(f"{config_file}: unknown table(s) {', '.join(unknown)}; known: "
                                     f"{', '.join(CONFIG_TABLES)}", param_hint="--config")
        try:
            config = StormConfig.from_mapping(document.get("alert_storm", {}))
        except StormConfigError as exc:
            raise click.BadParameter(f"{config_file}: {exc}", param_hint="--config") from None
    if alert_storm:
        threshold, _, window = alert_storm.partition("/")
        try:
            config = dataclasses.replace(config, threshold=int(threshold), window=float(window))
        except (ValueError, StormConfigError) as exc:
            raise click.BadParameter(f"{alert_storm!r}: expected THRESHOLD/WINDOW, e.g. 10/3600 ({exc})",
                                     param_hint="--alert-storm") from None
    return config


@click.command(short_help="Serve the DUIS web services (DCC Boxed compatible) on HTTP.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8079, show_default=True, type=click.IntRange(1, 65535), help="HTTP port.")
@click.option("--receive-url", metavar="URL",
              help="Where asynchronous responses and alerts are POSTed (the User's Receive Response service).")
@click.option("--xsd", "xsd_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="The DUIS 5.4 XSD directory [default: $SMETSIM_CORPUS/duis/xsd or ../shared/corpus/duis/xsd].")
@click.option("--state", "state_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Keep the PKI, the device journal and the audit trail here, so a restart resumes "
                   "exactly (default: a temporary directory, nothing kept).")
@click.option("--api-keys", "keys_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The hashed API keys of the Users and the DCC operator [default: STATE/api-keys.json]; "
                   "missing keys are made and shown once.")
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Where the web UI finds the reports of smetsim prove runs.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True), metavar="FILE",
              help="A TOML configuration file; its [alert_storm] table sets the SECMP0062 alert-storm throttle "
                   "(window, threshold, key, release, quiet_period, exclusions, sequence_id).")
@click.option("--alert-storm", metavar="THRESHOLD/WINDOW",
              help="Deliver at most THRESHOLD alerts per key (device and alert code by default) in any WINDOW "
                   "seconds (virtual time); overrides the [alert_storm] table of --config  [default: 10/3600].")
@click.option("--mqtt", "broker", metavar="URL|embedded[:PORT]",
              help="Serve through an MQTT broker instead of HTTP (docs/mqtt.md): an external broker URL, or "
                   "'embedded' to start one in this process. Implied by --shard and --premises.")
@click.option("--shard", metavar="K/N", help="With MQTT: serve shard K of N of the premises (shared subscriptions).")
@click.option("--premises", "premises_count", type=click.IntRange(1, 1 << 24), metavar="N",
              help="With MQTT: N premises (ESME, GSME, CHF, GPF each), built lazily on their first message.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, receive_url: str | None, xsd_dir: str | None,
          state_dir: str | None, keys_file: str | None, reports_dir: str | None, broker: str | None,
          shard: str | None, premises_count: int | None, config_file: str | None, alert_storm: str | None) -> None:
    """Serve the DUIS web services (as DCC Boxed does) and the Self Service Interface web UI.

    Requests are DUIS 5.4 XML signed with a User's xmlSign key; the Production Proving
    Users of the embedded set-up are known (their keys are in the state directory, in the
    RTDS key-store layout). Synchronous responses come back on the call; device responses
    and alerts are POSTed to --receive-url. The DCC's G6 thresholds for the PP Users are set
    and approved at start, and each PP role runs its entry test in the test environment.

    Every call needs an API key (header X-API-Key): one per User ID and one for the DCC
    operator ("DCC"). The web UI is at /ui (log in with the key); it shows a User only its
    own requests and devices. Alerts pass SECMP0062 alert-storm throttling, set with --config
    FILE ([alert_storm] table) or --alert-storm THRESHOLD/WINDOW. Without --state the DCC
    operator also gets lab stimuli in the UI: make a device raise alerts, move the virtual clock.

    With --mqtt, --shard or --premises it is an MQTT worker instead: workers on one broker
    split the premises between them through shared subscriptions.

    \b
    Examples:
      smetsim serve --state state --receive-url http://127.0.0.1:9000/receive
      smetsim serve --alert-storm 1/60 --api-keys keys.json
      smetsim serve --mqtt mqtt://127.0.0.1:1883 --shard 1/2 --premises 1000 --state st
    """
    storm = storm_config(config_file, alert_storm)
    if broker or shard or premises_count:
        if config_file or alert_storm:
            raise click.UsageError("--config and --alert-storm apply to the HTTP server, not to an MQTT worker")
        from .mqtt_cli import mqtt_serve

        ctx.invoke(mqtt_serve, broker=broker or "embedded", shard=mqtt_serve_shard(shard or "1/1"),
                   count=premises_count or 100, state_dir=state_dir, xsd_dir=xsd_dir, client_id=None,
                   share_group=None, no_share=False, production=True)
        return
    from aiohttp import web

    from proving.embedded import embedded_dcc
    from proving.entry import run_entry_tests
    from proving.eui import eui_str
    from proving.http_api import DuisHttpApi
    from proving.identities import PP_USERS
    from proving.persistent_premises import persistent_dcc
    from proving.suites import builtin_items
    from proving.webui import secure_app
    from proving.webui.auth import load_or_create_keys

    xsd = xsd_dir_or_fail(xsd_dir)
    with tempfile.TemporaryDirectory(prefix="smetsim-serve-") as scratch:
        state = Path(state_dir) if state_dir else Path(scratch)
        if state_dir:  # a restart resumes the devices exactly (journal) and carries on the audit chain
            dcc = persistent_dcc(state / "production", xsd, storm=storm)
        else:
            dcc = embedded_dcc(state / "production", xsd, storm=storm)
        dcc.approve_default_thresholds()
        click.echo(f"alert-storm throttling: at most {storm.threshold} alert(s) per {storm.key.replace('_', ' and ')} "
                   f"in {storm.window:g} s ({storm.release} release)", err=True)
        entry = run_entry_tests(dcc, builtin_items(xsd), state / "test-environment", xsd)
        for role, result in entry.items():
            click.echo(f"entry test {role}: {result['outcome']} ({result['srv']})", err=True)
        api = DuisHttpApi(dcc.frontend, dcc.keystore, receive_url=receive_url)
        click.echo(f"DUIS web services on http://{host}:{port}/api/v1/service{{S,T,D}}; keys in {state / 'production'}",
                   err=True)
        keyring, fresh = load_or_create_keys(Path(keys_file) if keys_file else state / "api-keys.json",
                                             ["DCC", *(eui_str(u.eui) for u in PP_USERS)])
        for identity, key in fresh.items():
            click.echo(f"API key for {identity} (shown once): {key}", err=True)
        app = secure_app(api, dcc, keyring, reports_dir=Path(reports_dir) if reports_dir else None,
                         registration_file=state / "registration-data.json")
        click.echo(f"web UI on http://{host}:{port}/ui", err=True)
        try:
            web.run_app(app, host=host, port=port, print=None, access_log=None)
        finally:
            dcc.close()
