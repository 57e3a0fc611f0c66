"""``smetsim scenario run``: the example scenarios pass, bad files name their line, failures say why."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from emulator.scenario import ScenarioError, parse_scenario, run_scenario
from emulator.scenario.values import duration_of
from smetsim.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scenarios"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
# issue 5 behaviours -> the example that shows them
COVERAGE = {
    "device-log-cs14": "device log add/remove/restore with CS14",
    "historic-log-crp535": "historic log overwrite and re-admission (CRP535)",
    "install-codes": "install code validation",
    "join-window": "join window expiry",
    "han-join-unjoin": "CS03/CS04 between devices",
    "sleepy-gsme-gpf": "sleepy GSME queue, GPF answering",
    "ppmid-gsme-han-only": "PPMID -> GSME PCS01/PCS02",
    "link-model": "latency, loss, duplication, reordering",
    "power-and-radio": "power off/on, radio outage",
    "alert-storm": "alert storm",
    "hardware-fault": "hardware fault",
}
HEADER = "steps:\n  - premises: {name: home}\n  - device: {name: esme1, profile: ESME}\n"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["scenario", "run", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_examples_cover_every_issue_5_behaviour() -> None:
    assert {p.stem for p in EXAMPLE_FILES} >= set(COVERAGE)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_scenario_passes(path: Path) -> None:
    code, output = invoke(str(path))
    assert code == 0, output
    assert output.startswith("PASS") and "FAIL" not in output and "1/1 scenarios passed" in output


def test_examples_as_a_real_subprocess_with_junit(tmp_path: Path) -> None:
    command = [shutil.which("smetsim")] if shutil.which("smetsim") else [sys.executable, "-m", "smetsim.cli"]
    out = tmp_path / "results.xml"
    files = [str(EXAMPLES / "device-log-cs14.yaml"), str(EXAMPLES / "alert-storm.yaml")]
    done = subprocess.run([*command, "scenario", "run", *files, "--junit", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2/2 scenarios passed" in done.stdout
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "0"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["device log add, remove and restore raise CS14", "alert storm"]
    assert all(int(s.get("tests")) == len(s.findall("testcase")) > 5 for s in suites)


@pytest.mark.parametrize(("text", "line", "words"), [
    (HEADER + "  - sendd: {to: esme1}\n", 4, "unknown action 'sendd'"),
    (HEADER + "  - send: {to: nobody, use_case: ECS26c, raw: '00'}\n", 4, "no device named 'nobody'"),
    (HEADER + "  - advance: soon\n", 4, "expected a duration"),
    (HEADER + "  - join:\n      device: esme1\n      admited: true\n", 6, "unknown key 'admited'"),
    (HEADER + "  - send:\n      to: esme1\n      use_case: ECS26c\n      dlms: [[get, 1, '0-0:94', 2]]\n", 7,
     "bad OBIS code"),
    (HEADER + "  - expect: {response: {from: esme1, count: many}}\n", 4, "'count' must be an integer"),
    ("steps:\n  - premises: {name: home\n  - advance: 1s\n", 3, "YAML"),
    ("steps:\n  - device: {name: x, profile: ESME}\n", 2, "declare premises first"),
])
def test_a_bad_scenario_file_names_its_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write(tmp_path, text)
    code, output = invoke(str(path))
    assert code == 2
    assert f"{path}:{line}:" in output and words in output
    assert "Traceback" not in output and "PASS" not in output


def test_a_bad_file_runs_nothing(tmp_path: Path) -> None:
    bad = write(tmp_path, HEADER + "  - bogus: 1\n", "bad.yaml")
    code, output = invoke(str(EXAMPLES / "join-window.yaml"), str(bad))
    assert code == 2 and "PASS" not in output and "bad.yaml:4: unknown action" in output


def test_a_failing_expectation_fails_with_a_readable_reason(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + (
        "  - log_add: esme1\n"
        "  - join: esme1\n"
        "  - send: {to: esme1, use_case: ECS26c, dlms: [[get, 1, '0-0:94.44.0.0', 2]]}\n"
        "  - expect: {within: 1s, response: {from: esme1, result: [4]}}\n"
        "  - expect: {alert: {from: esme1, code: 0x8F75}}\n"
        "  - join: {device: esme1, key: wrong, admitted: true}\n"
        "  - advance: 1s\n"))
    code, output = invoke(str(path))
    assert code == 1
    assert "FAIL  " in output and "6/9 steps passed" in output
    assert "response from esme1: 0 matching arrived, expected at least 1; 1 other: result [0], expected [4]" in output
    assert "alert 0x8F75 from esme1: 0 arrived, expected at least 1; arrived in the window: nothing" in output
    assert "refused: link key does not match (established, install-code); expected admission" in output
    lines = [line for line in output.splitlines() if " FAIL " in line]
    assert [line.split()[1] for line in lines] == ["7", "8", "9"]  # the lines of the failing steps


def test_json_and_junit_reports_of_a_failure(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "  - log_add: esme1\n  - expect: {no_alert: chf}\n")
    junit = tmp_path / "out.xml"
    code, output = invoke(str(path), "--json", "--junit", str(junit))
    assert code == 1
    report = json.loads(output)
    assert report["passed"] is False
    steps = report["scenarios"][0]["steps"]
    assert [s["status"] for s in steps] == ["pass", "pass", "pass", "fail"]
    assert steps[-1]["line"] == 5 and "no alert from chf: alert from chf (0x8F12) arrived" in steps[-1]["detail"]
    root = ET.parse(junit).getroot()
    failures = root.findall("testsuite/testcase/failure")
    assert root.get("failures") == "1" and len(failures) == 1
    assert failures[0].get("message") == steps[-1]["detail"] and f"{path}:5:" in failures[0].text


def test_runs_are_deterministic_under_the_seed() -> None:
    text = (EXAMPLES / "link-model.yaml").read_text().replace("seed: 7", "seed: 11")
    first = run_scenario(parse_scenario(text))
    second = run_scenario(parse_scenario(text))
    assert [(s.status, s.detail, s.virtual_time) for s in first.steps] == \
        [(s.status, s.detail, s.virtual_time) for s in second.steps]


def test_parser_details() -> None:
    scenario = parse_scenario(
        "name: t\nstart: 2020-01-01T00:00:00Z\nsteps:\n"
        "  - premises: {name: p, gpf: false}\n"
        "  - device: {name: g, profile: GSME, install_code: '00010203040506070809101112131415'}\n"
        "  - device: {name: d, profile: PPMID, install_code: 00010203040506070809101112131416}\n"
        "  - run_until_idle\n"
        "  - name: labelled\n    advance: 90s\n")
    device_steps = [s for s in scenario.steps if s.action == "device"]
    assert device_steps[1].spec["devices"][0]["install_code"] == bytes.fromhex("00010203040506070809101112131416")
    assert scenario.steps[0].spec["gpf"] is None and scenario.name == "t"
    assert [s.line for s in scenario.steps] == [4, 5, 6, 7, 9]
    assert scenario.steps[-1].title == "labelled" and scenario.steps[-1].spec["seconds"] == 90
    assert duration_of("250ms", 1, "x") == 0.25 and duration_of("2h", 1, "x") == 7200
    with pytest.raises(ScenarioError) as info:
        parse_scenario("steps:\n  - premises: {name: p}\n  - premises: {name: p}\n", "f.yaml")
    assert str(info.value) == "f.yaml:3: premises 'p' already exist"


def test_payload_forms_and_han_inbox_checks(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + (
        "  - log_add: esme1\n"
        "  - join: esme1\n"
        "  - send: {to: esme1, use_case: ECS26c,\n"
        "           payload: [[get, 1, '0-0:94.44.0.0', 2], [get, 1, '0-0:94.44.0.2', 2]]}\n"
        "  - send:\n      to: esme1\n      use_case: ECS26c\n"
        "      dlms: [{get: '0-0:94.44.0.0', class: 1, attribute: 2}]\n"
        "  - send: {to: gpf, message_code: 0x0082, payload: [{read: 0x0705, attributes: [0x0031]}]}\n"
        "  - expect:\n      within: 1s\n"
        "      response: [{from: esme1, result: [0, 0]}, {from: esme1, result: [0]}, {from: gpf, result: [0]}]\n"
        "      no_response: {from: esme1, to: esme1}\n"))
    code, output = invoke(str(path))
    assert code == 0, output
