"""``smetsim prove``: a Production Proving run as the PP User in each role, against the embedded premises."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from proving.report import summary_table, write_html, write_json

DEFAULT_CORPUS = Path("..") / "shared" / "corpus"


def default_xsd_dir() -> Path:
    """``$SMETSIM_CORPUS/duis/xsd``, else ``../shared/corpus/duis/xsd``."""
    corpus = Path(os.environ.get("SMETSIM_CORPUS", DEFAULT_CORPUS))
    return corpus / "duis" / "xsd"


HIL_TARGETS = ("hil:serial:", "hil:zigbee:")


def _production_dcc(target: str, state: Path, xsd: Path, framing: str) -> Any:
    """The DCC the suite runs against: the embedded premises, or devices behind a hardware bridge."""
    from proving.embedded import embedded_dcc

    if target == "emulated":
        return embedded_dcc(state / "production", xsd)
    if target.startswith("hil:serial:"):
        from hil.serial_bridge import serial_premises
        from hil.transport import bridged_dcc

        url = target[len("hil:serial:"):]
        try:
            return bridged_dcc(state, xsd, serial_premises(url, framing=framing))
        except (OSError, FileNotFoundError) as exc:
            raise click.UsageError(f"--target {target}: {exc}") from None
    from hil.zigbee.target import TargetError, open_target

    dcc = embedded_dcc(state / "production", xsd)
    spec = target[len("hil:zigbee:"):]
    try:
        bridge = open_target(spec, dcc.premises)
    except TargetError as exc:
        dcc.close()
        raise click.UsageError(f"--target {target}: {exc}") from None
    dcc.frontend.target = bridge.bridge
    dcc.closers.append(bridge.close)
    return dcc


def xsd_dir_or_fail(xsd_dir: str | None) -> Path:
    """The DUIS 5.4 XSD directory: ``--xsd``, else the default; a usage error when the schema is not there."""
    xsd = Path(xsd_dir) if xsd_dir else default_xsd_dir()
    if not (xsd / "DUIS Schema V5.4.xsd").is_file():
        raise click.UsageError(f"no DUIS 5.4 XSD in {xsd} (give --xsd DIR or set SMETSIM_CORPUS)")
    return xsd


def _progress(bar: Any) -> Any:
    def step(done: int, total: int, name: str) -> None:
        bar.update(1)

    return step


@click.command(short_help="Run a Production Proving suite as the PP User in each role.")
@click.option("--target", default="emulated", show_default=True, metavar="TARGET",
              help="emulated (the embedded premises); hil:serial:URL (meters behind a serial port, e.g. smetsim "
                   "hil fake-meter); hil:zigbee:PORT (an EZSP radio; hil:zigbee:fake runs the fake radio in process).")
@click.option("--suite", "suite_dir", type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="DUIS request files to send (re-addressed and re-signed); default: the built-in suite.")
@click.option("--report", "report_path", required=True, type=click.Path(dir_okay=False), metavar="OUT.json",
              help="Where to write the JSON report; the HTML report and the DUIS responses go beside it.")
@click.option("--xsd", "xsd_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="The DUIS 5.4 XSD directory [default: $SMETSIM_CORPUS/duis/xsd or ../shared/corpus/duis/xsd].")
@click.option("--state", "state_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Keep the run's PKI and audit trail here (default: a temporary directory). With a hil "
                   "target: the PKI holding the devices' keys (the --state of smetsim hil fake-meter).")
@click.option("--framing", type=click.Choice(["binary", "text"]), default="binary", show_default=True,
              help="Serial framing for hil:serial targets (docs/hil-serial.md).")
def prove(target: str, suite_dir: str | None, report_path: str, xsd_dir: str | None, state_dir: str | None,
          framing: str) -> None:
    """Run Production Proving end to end.

    The PP Function acts in each User Role with its own PP DCC IDs: the DCC sets and approves
    its G6 thresholds, every role passes an entry test in the DCC's test environment, then
    each request of the suite is signed with the role's xmlSign key and sent through the
    DCC front end to the device; critical requests go through the pre-command flow. Requests
    Section P excludes are reported as refused and not sent.

    \b
    Examples:
      smetsim prove --report out/report.json
      smetsim prove --suite ../shared/corpus/duis/templates --report out/report.json

    Exit status: 0 when every request sent passed, 1 when one failed, 2 for bad input.
    """
    from proving.entry import run_entry_tests
    from proving.run import run_items
    from proving.suites import builtin_items, directory_suite

    if target != "emulated" and not target.startswith(HIL_TARGETS):
        raise click.UsageError(f"--target {target}: expected emulated, hil:serial:URL or hil:zigbee:PORT")
    if target.startswith("hil:serial:") and not state_dir:
        raise click.UsageError("a hil:serial target needs --state DIR: the PKI with the devices' keys")
    xsd = xsd_dir_or_fail(xsd_dir)
    report_file = Path(report_path)
    report_file.parent.mkdir(parents=True, exist_ok=True)
    responses_dir = report_file.with_suffix("")
    responses_dir = responses_dir.parent / f"{responses_dir.name}-responses"
    with tempfile.TemporaryDirectory(prefix="smetsim-prove-") as scratch:
        state = Path(state_dir) if state_dir else Path(scratch)
        if suite_dir:
            items = directory_suite(suite_dir)
        else:
            items = builtin_items(xsd)
        dcc = _production_dcc(target, state, xsd, framing)
        dcc.approve_default_thresholds()
        entry = run_entry_tests(dcc, items, state / "test-environment", xsd)
        with click.progressbar(length=len(items), label="proving", file=click.get_text_stream("stderr")) as bar:
            report = run_items(dcc, items, responses_dir, progress=_progress(bar))
        report["summary"]["entry_tests"] = entry
        report["summary"]["audit"] = {"records": len(dcc.audit.records()), "chain_ok": dcc.audit.verify_chain().ok,
                                      "out_of_sequence": len(dcc.audit.out_of_sequence())}
        dcc.close()
    write_json(report, report_file)
    write_html(report, report_file.with_suffix(".html"))
    click.echo(summary_table(report))
    click.echo(f"report: {report_file} (HTML {report_file.with_suffix('.html')})")
    if report["summary"]["failed"]:
        raise SystemExit(1)
