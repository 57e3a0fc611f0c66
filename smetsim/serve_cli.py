"""``smetsim serve``: the DCC Boxed DUIS web services in front of the embedded premises."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from .prove_cli import default_xsd_dir


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
def serve(host: str, port: int, receive_url: str | None, xsd_dir: str | None, state_dir: str | None) -> None:
    """Serve /api/v1/serviceS, /api/v1/serviceT and /api/v1/serviceD as DCC Boxed does.

    Requests are DUIS 5.4 XML signed with a User's xmlSign key; the Production Proving
    Users of the embedded set-up are known (their keys are in the state directory, in the
    RTDS key-store layout). Synchronous responses come back on the call; device responses
    and alerts are POSTed to --receive-url. The DCC's G6 thresholds for the PP Users are set
    and approved at start, and each PP role runs its entry test in the test environment.

    \b
    Example:
      smetsim serve --state state --receive-url http://127.0.0.1:9000/receive
    """
    from aiohttp import web

    from proving.embedded import embedded_dcc
    from proving.entry import run_entry_tests
    from proving.http_api import DuisHttpApi
    from proving.persistent_premises import persistent_dcc
    from proving.suites import builtin_items

    xsd = Path(xsd_dir) if xsd_dir else default_xsd_dir()
    if not (xsd / "DUIS Schema V5.4.xsd").is_file():
        raise click.UsageError(f"no DUIS 5.4 XSD in {xsd} (give --xsd DIR or set SMETSIM_CORPUS)")
    with tempfile.TemporaryDirectory(prefix="smetsim-serve-") as scratch:
        state = Path(state_dir) if state_dir else Path(scratch)
        if state_dir:  # a restart resumes the devices exactly (journal) and carries on the audit chain
            dcc = persistent_dcc(state / "production", xsd)
        else:
            dcc = embedded_dcc(state / "production", xsd)
        dcc.approve_default_thresholds()
        entry = run_entry_tests(dcc, builtin_items(xsd), state / "test-environment", xsd)
        for role, result in entry.items():
            click.echo(f"entry test {role}: {result['outcome']} ({result['srv']})", err=True)
        api = DuisHttpApi(dcc.frontend, dcc.keystore, receive_url=receive_url)
        click.echo(f"DUIS web services on http://{host}:{port}/api/v1/service{{S,T,D}}; keys in {state / 'production'}",
                   err=True)
        try:
            web.run_app(api.app(), host=host, port=port, print=None)
        finally:
            dcc.close()
