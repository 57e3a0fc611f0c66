"""Reports of scenario runs: a table for people, JSON for programs, JUnit XML for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from .runner import ScenarioResult

WIDTH = 60


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def text_report(results: Sequence[ScenarioResult]) -> str:
    """One table per scenario (step, line, virtual time, outcome, what), failure reasons below it."""
    lines: list[str] = []
    for result in results:
        verdict = "PASS" if result.passed else "FAIL"
        lines.append(f"{verdict}  {result.name}  ({result.path})")
        lines.append(f"  {'#':>3}  {'line':>4}  {'t (s)':>9}  {'':4}  step")
        for step in result.steps:
            mark = "ok" if step.passed else "FAIL"
            lines.append(f"  {step.index + 1:>3}  {step.line:>4}  {step.virtual_time:>9.3f}  {mark:4}  "
                         f"{_clip(step.title, WIDTH)}")
            if not step.passed:
                lines.append(f"  {'':>3}  {'':>4}  {'':>9}  {'':4}  -> {step.detail}")
        passed = sum(step.passed for step in result.steps)
        lines.append(f"  {passed}/{len(result.steps)} steps passed in {result.seconds:.2f} s")
        lines.append("")
    total = sum(r.passed for r in results)
    lines.append(f"{total}/{len(results)} scenarios passed")
    return "\n".join(lines)


def json_report(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    """The runs as JSON-ready data."""
    return {
        "passed": all(r.passed for r in results),
        "scenarios": [{
            "path": r.path, "name": r.name, "passed": r.passed, "seconds": round(r.seconds, 4),
            "steps": [{"index": s.index, "line": s.line, "action": s.action, "title": s.title, "status": s.status,
                       "detail": s.detail, "virtual_time": round(s.virtual_time, 6)} for s in r.steps],
        } for r in results],
    }


def json_text(results: Sequence[ScenarioResult]) -> str:
    return json.dumps(json_report(results), indent=2)


def junit_xml(results: Sequence[ScenarioResult]) -> bytes:
    """JUnit XML: a testsuite per scenario, a testcase per step (a failure carries the reason)."""
    suites = ET.Element("testsuites", name="smetsim scenarios", tests=str(sum(len(r.steps) for r in results)),
                        failures=str(sum(len(r.failures) for r in results)))
    for result in results:
        suite = ET.SubElement(suites, "testsuite", name=result.name, file=result.path, tests=str(len(result.steps)),
                              failures=str(len(result.failures)), errors="0", time=f"{result.seconds:.3f}")
        for step in result.steps:
            case = ET.SubElement(suite, "testcase", classname=f"scenario.{result.name}",
                                 name=f"{step.index + 1:03d} line {step.line}: {step.title}",
                                 time=f"{step.seconds:.4f}")
            if not step.passed:
                failure = ET.SubElement(case, "failure", message=step.detail, type="ScenarioStepFailed")
                failure.text = f"{result.path}:{step.line}: {step.detail}"
            elif step.detail:
                ET.SubElement(case, "system-out").text = step.detail
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)
