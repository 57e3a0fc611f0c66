"""Reading a scenario file: YAML composed into nodes, turned into values that remember their line.

Mappings become :class:`LineMap` and sequences :class:`LineList`; both know the line they
start on and the line of each key or item, and keep the source text of each scalar (so
hex strings made only of digits, e.g. ``0001``, stay strings when a field wants hex).
Every problem is a :class:`ScenarioError` naming the line.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


class ScenarioError(ValueError):
    """A scenario file that cannot be run; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, line: int, message: str, source: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.source = source

    def __str__(self) -> str:
        where = f"{self.source}:" if self.source else ""
        return f"{where}{self.line}: {self.message}" if self.line else f"{where} {self.message}".strip()


class LineMap(dict):  # type: ignore[type-arg]
    """A mapping with the line it starts on, the line of each key and the source text of scalar values."""

    line: int
    lines: dict[Any, int]
    texts: dict[Any, str]

    def line_of(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class LineList(list):  # type: ignore[type-arg]
    """A sequence with the line it starts on, the line of each item and the source text of scalar items."""

    line: int
    lines: list[int]
    texts: dict[int, str]

    def line_of(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


def empty_map(line: int) -> LineMap:
    """An empty table standing at ``line`` (for arguments a step did not write)."""
    out = LineMap()
    out.line, out.lines, out.texts = line, {}, {}
    return out


def sub_map(mapping: LineMap, values: dict[str, Any]) -> LineMap:
    """A table of some of ``mapping``'s keys (or new values), keeping their lines and source texts."""
    out = LineMap(values)
    out.line = mapping.line
    out.lines = {k: mapping.line_of(k) for k in values}
    out.texts = {k: mapping.texts[k] for k in values if k in mapping.texts}
    return out


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Builder:
    def __init__(self) -> None:
        self.constructor = SafeConstructor()

    def value(self, node: Node) -> Any:
        if isinstance(node, MappingNode):
            return self.mapping(node)
        if isinstance(node, SequenceNode):
            out = LineList()
            out.line, out.lines, out.texts = _line(node), [], {}
            for index, item in enumerate(node.value):
                out.append(self.value(item))
                out.lines.append(_line(item))
                if isinstance(item, ScalarNode):
                    out.texts[index] = item.value
            return out
        try:
            return self.constructor.construct_object(node, deep=True)
        except ConstructorError as exc:
            raise ScenarioError(_line(node), f"bad value: {exc.problem}") from None

    def mapping(self, node: MappingNode) -> LineMap:
        out = LineMap()
        out.line, out.lines, out.texts = _line(node), {}, {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ScenarioError(_line(key_node), "merge keys (<<) are not supported")
            key = self.value(key_node)
            if isinstance(key, (dict, list)):
                raise ScenarioError(_line(key_node), "a key must be a plain value")
            if key in out:
                raise ScenarioError(_line(key_node), f"duplicate key {key!r}")
            out[key] = self.value(value_node)
            out.lines[key] = _line(key_node)
            if isinstance(value_node, ScalarNode):
                out.texts[key] = value_node.value
        return out


def load_yaml(text: str, source: str = "") -> Any:
    """The scenario document with line numbers; raises ScenarioError (with the line) on bad YAML."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ScenarioError(mark.line + 1 if mark else 0, f"YAML: {exc.problem or exc.context}", source) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(0, f"YAML: {exc}", source) from None
    if node is None:
        raise ScenarioError(1, "the file is empty", source)
    try:
        return _Builder().value(node)
    except ScenarioError as exc:
        exc.source = source
        raise
