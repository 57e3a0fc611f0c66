"""Running a parsed scenario step by step, into a :class:`ScenarioResult`.

A step passes when its action runs as written (an action with an expected outcome checks
it); it fails with a reason otherwise, and the run goes on with the next step.  After each
step the clock runs what is due at the current virtual time (zero-delay consequences, such
as the CHF's answer).  Nothing raised by a step escapes: an unexpected error fails the step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..testkit import RemoteParties
from .model import Scenario, Step
from .steps import RUNNERS
from .world import StepFailed, World

PASS, FAIL = "pass", "fail"


@dataclass(slots=True)
class StepResult:
    """The outcome of one step."""

    index: int
    line: int
    action: str
    title: str
    status: str
    detail: str = ""
    virtual_time: float = 0.0  # seconds since the scenario start
    seconds: float = 0.0  # real time the step took

    @property
    def passed(self) -> bool:
        return self.status == PASS


@dataclass(slots=True)
class ScenarioResult:
    """The outcome of one scenario file."""

    path: str
    name: str
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)

    @property
    def failures(self) -> list[StepResult]:
        return [step for step in self.steps if not step.passed]


def run_step(world: World, step: Step) -> StepResult:
    started = time.perf_counter()
    try:
        detail = RUNNERS[step.action](world, step.spec)
        world.clock.advance(0)
        status = PASS
    except StepFailed as exc:
        status, detail = FAIL, str(exc)
    except Exception as exc:  # a step must never stop the report
        status, detail = FAIL, f"error: {type(exc).__name__}: {exc}"
    return StepResult(step.index, step.line, step.action, step.title, status, detail,
                      world.clock.now() - world.scenario.start, time.perf_counter() - started)


def run_scenario(scenario: Scenario, parties: RemoteParties | None = None) -> ScenarioResult:
    """Run every step of ``scenario`` on a fresh world."""
    started = time.perf_counter()
    world = World(scenario, parties)
    result = ScenarioResult(scenario.path, scenario.name)
    for step in scenario.steps:
        result.steps.append(run_step(world, step))
    result.seconds = time.perf_counter() - started
    return result
