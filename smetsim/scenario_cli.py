"""``smetsim scenario``: run scenario files (docs/scenarios.md) and report pass / fail.

Exit status: 0 when every step of every scenario passes, 1 when a step fails, 2 when a
scenario file cannot be run (the message names the file and line; nothing is run then).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from emulator.scenario import ScenarioError, junit_xml, parse_file, run_scenario, text_report
from emulator.scenario.report import json_text

BAD_FILE = 2


@click.group(short_help="Run YAML scenarios against emulated premises.")
def scenario() -> None:
    """Scenarios: premises, devices, commands, faults and expectations written by hand in YAML."""


@scenario.command("run")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of a table.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False, writable=True), metavar="OUT.xml",
              help="Also write a JUnit XML report (a testsuite per scenario, a testcase per step).")
def run(files: tuple[str, ...], as_json: bool, junit_path: str | None) -> None:
    """Run scenario FILES; exit 0 when all pass, 1 when a step fails, 2 for a bad scenario file.

    \b
      smetsim scenario run examples/scenarios/device-log-cs14.yaml
      smetsim scenario run examples/scenarios/*.yaml --junit results.xml
    """
    scenarios = []
    bad = False
    for name in files:
        try:
            scenarios.append(parse_file(name))
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            bad = True
    if bad:
        sys.exit(BAD_FILE)
    results = [run_scenario(s) for s in scenarios]
    click.echo(json_text(results) if as_json else text_report(results))
    if junit_path is not None:
        Path(junit_path).write_bytes(junit_xml(results))
    sys.exit(0 if all(r.passed for r in results) else 1)
