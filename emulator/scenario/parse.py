"""Reading and checking a scenario file: every step's arguments, names defined before use, payloads encoded.

A scenario is a YAML mapping (``name``, ``seed``, ``start``, ``steps``) or a bare list of
steps.  A step is a one-key mapping ``action: arguments`` (an optional ``name`` labels it),
or the bare action name when it takes no arguments.  The vocabulary is in docs/scenarios.md.
Everything that can be checked without running is checked here, so a bad file fails with
its line before anything runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..clock import to_timestamp
from .actions import ACTIONS, SHORTHAND
from .context import Context
from .model import Scenario, Step
from .source import LineList, LineMap, ScenarioError, empty_map, load_yaml
from .values import Args

DEFAULT_START = "2024-01-01T00:00:00Z"


def _step_args(action: str, value: Any, line: int) -> Args:
    if value is None:
        return Args(empty_map(line), action)
    if isinstance(value, LineMap):
        return Args(value, action)
    key = SHORTHAND.get(action)
    if key is None:
        raise ScenarioError(line, f"{action}: expected a table of arguments (key: value)")
    table = empty_map(line)
    table[key], table.lines[key] = value, line
    if not isinstance(value, (LineList, LineMap)):
        table.texts[key] = str(value)
    return Args(table, action, shorthand=key)


def parse_step(item: Any, index: int, line: int, ctx: Context) -> Step:
    """One step of the list."""
    if isinstance(item, str):
        item_map = LineMap({item: None})
        item_map.line, item_map.lines, item_map.texts = line, {item: line}, {}
        item = item_map
    if not isinstance(item, LineMap):
        raise ScenarioError(line, "a step is 'action: arguments' (see docs/scenarios.md)")
    label = item.get("name") if len(item) > 1 else None
    actions = [k for k in item if k != "name" or len(item) == 1]
    if len(actions) != 1:
        raise ScenarioError(line, f"a step has one action, found {', '.join(map(str, actions)) or 'none'}")
    action = str(actions[0])
    parser = ACTIONS.get(action)
    if parser is None:
        raise ScenarioError(item.line_of(actions[0]), f"unknown action {action!r} (one of {', '.join(ACTIONS)})")
    args = _step_args(action, item[action], item.line_of(action))
    try:
        spec, title = parser(args, ctx)
    except ScenarioError:
        raise
    except Exception as exc:  # a value of a shape no check foresaw: still a line, never a traceback
        raise ScenarioError(item.line_of(action), f"{action}: cannot use these arguments ({exc})") from None
    args.done()
    return Step(index, item.line_of(action), action, str(label) if label else title, spec)


def parse_scenario(text: str, path: str = "<scenario>", base_dir: Path | None = None) -> Scenario:
    """A scenario from YAML text; raises ScenarioError naming the line of the first problem."""
    document = load_yaml(text, path)
    try:
        return _parse_document(document, path, base_dir or Path(path).resolve().parent)
    except ScenarioError as exc:
        exc.source = path
        raise


def _parse_document(document: Any, path: str, base_dir: Path) -> Scenario:
    if isinstance(document, LineList):
        settings = Args(empty_map(document.line), "scenario")
        steps = document
    elif isinstance(document, LineMap):
        settings = Args(document, "scenario")
        steps = settings.raw("steps")
        if not isinstance(steps, LineList):
            raise ScenarioError(settings.line_of("steps"), "steps: a list of steps")
    else:
        raise ScenarioError(1, "a scenario is a list of steps, or a table with 'steps'")
    name = settings.text("name", Path(path).stem)
    settings.text("description", None)
    seed = settings.integer("seed", 0)
    start_value = settings.raw("start", DEFAULT_START)
    try:
        start = to_timestamp(start_value if not isinstance(start_value, int) else float(start_value))
    except (ValueError, TypeError):
        raise ScenarioError(settings.line_of("start"), f"start: {start_value!r} is not a date-time") from None
    settings.done()
    ctx = Context(base_dir)
    scenario = Scenario(path, name, seed, start, base_dir=base_dir)
    for index, item in enumerate(steps):
        scenario.steps.append(parse_step(item, index, steps.line_of(index), ctx))
    if not scenario.steps:
        raise ScenarioError(steps.line, "the scenario has no steps")
    scenario.devices = ctx.devices
    return scenario


def parse_file(path: str | Path) -> Scenario:
    """A scenario file; raises ScenarioError (with the line) for a file that cannot be run."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(0, f"cannot read: {exc}", str(path)) from None
    return parse_scenario(text, str(path), Path(path).resolve().parent)


__all__ = ["parse_file", "parse_scenario", "parse_step"]
