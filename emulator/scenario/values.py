"""Typed reading of step arguments: numbers, durations, hex, codes, lists, tables and link models.

:class:`Args` wraps the mapping of one step (or one nested table) and converts each key,
raising :class:`~.source.ScenarioError` with the key's line; :meth:`Args.done` refuses keys
nobody asked for, so a typo is reported rather than ignored.
"""

from __future__ import annotations

import re
from typing import Any

from ..han.link import LinkModel
from .source import LineList, LineMap, ScenarioError

MISSING: Any = object()
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$")
_UNITS = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
LINK_TIMES = ("latency", "jitter", "duplicate_gap", "reorder_delay")
LINK_PROBABILITIES = ("loss", "duplicate", "reorder")


def duration_of(value: Any, line: int, what: str) -> float:
    """Seconds from a number or a text such as ``250ms``, ``30s``, ``5m``, ``2h``, ``1d``."""
    if isinstance(value, bool):
        raise ScenarioError(line, f"{what}: expected a duration such as 30s or 250ms, not {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ScenarioError(line, f"{what}: a duration is not negative")
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ScenarioError(line, f"{what}: expected a duration such as 30s, 250ms or 5m, not {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def code_of(value: Any, line: int, what: str) -> int:
    """A code from ``0x8F12``, hex text with a letter or a leading zero (``8F12``, ``0018``) or a decimal integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.lower().startswith("0x"):
                return int(text[2:], 16)
            if text.isdigit() and not text.startswith("0"):
                return int(text)
            return int(text, 16)
        except ValueError:
            pass
    raise ScenarioError(line, f"{what}: expected a code such as 0x8F12, not {value!r}")


def hex_of(text: Any, line: int, what: str, length: int | None = None) -> bytes:
    """Bytes from hex text (spaces, dashes and colons allowed); ``length`` in octets when fixed."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise ScenarioError(line, f"{what}: expected hex, not {text!r}")
    cleaned = re.sub(r"[\s:\-]", "", str(text))
    if cleaned.lower().startswith("0x"):
        cleaned = cleaned[2:]
    try:
        data = bytes.fromhex(cleaned)
    except ValueError:
        raise ScenarioError(line, f"{what}: {text!r} is not hex") from None
    if length is not None and len(data) != length:
        raise ScenarioError(line, f"{what}: expected {length} octets, got {len(data)}")
    return data


class Args:
    """The arguments of one step or table, converted key by key."""

    def __init__(self, mapping: LineMap, where: str, shorthand: str | None = None) -> None:
        self.mapping = mapping
        self.where = where
        self.shorthand = shorthand  # the key a scalar step argument stands for (``advance: 30s``)
        self.used: set[Any] = set()

    def what(self, key: str) -> str:
        """How messages name ``key``: ``device: 'eui'``, or just ``advance`` for a shorthand argument."""
        return self.where if key == self.shorthand else f"{self.where}: '{key}'"

    @property
    def line(self) -> int:
        return self.mapping.line

    def line_of(self, key: str) -> int:
        return self.mapping.line_of(key)

    def has(self, key: str) -> bool:
        return key in self.mapping

    def raw(self, key: str, default: Any = MISSING) -> Any:
        self.used.add(key)
        if key in self.mapping:
            return self.mapping[key]
        if default is MISSING:
            raise ScenarioError(self.line, f"{self.where}: missing '{key}'")
        return default

    def text_of(self, key: str) -> str:
        """The source text of a scalar (digits-only hex stays as written)."""
        value = self.raw(key)
        return self.mapping.texts.get(key, str(value))

    def text(self, key: str, default: Any = MISSING, choices: tuple[str, ...] | None = None) -> Any:
        value = self.raw(key, default)
        if value is default and default is not MISSING:
            return value
        if isinstance(value, (dict, list)):
            raise ScenarioError(self.line_of(key), f"{self.what(key)} must be a single value")
        value = self.mapping.texts.get(key, str(value))
        if choices is not None and value not in choices:
            raise ScenarioError(self.line_of(key), f"{self.what(key)} must be one of {', '.join(choices)}")
        return value

    def integer(self, key: str, default: Any = MISSING, minimum: int | None = None) -> Any:
        value = self.raw(key, default)
        if value is default and default is not MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(self.line_of(key), f"{self.what(key)} must be an integer, not {value!r}")
        if minimum is not None and value < minimum:
            raise ScenarioError(self.line_of(key), f"{self.what(key)} must be at least {minimum}")
        return value

    def number(self, key: str, default: Any = MISSING) -> Any:
        value = self.raw(key, default)
        if value is default and default is not MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(self.line_of(key), f"{self.what(key)} must be a number, not {value!r}")
        return float(value)

    def boolean(self, key: str, default: Any = MISSING) -> Any:
        value = self.raw(key, default)
        if value is default and default is not MISSING:
            return value
        if not isinstance(value, bool):
            raise ScenarioError(self.line_of(key), f"{self.what(key)} must be true or false, not {value!r}")
        return value

    def duration(self, key: str, default: Any = MISSING) -> Any:
        value = self.raw(key, default)
        if value is default and default is not MISSING:
            return value
        return duration_of(value, self.line_of(key), self.what(key))

    def code(self, key: str, default: Any = MISSING) -> Any:
        value = self.raw(key, default)
        if value is default and default is not MISSING:
            return value
        return code_of(self.mapping.texts.get(key, value), self.line_of(key), self.what(key))

    def hex(self, key: str, default: Any = MISSING, length: int | None = None) -> Any:
        value = self.raw(key, default)
        if value is default and default is not MISSING:
            return value
        return hex_of(self.mapping.texts.get(key, value), self.line_of(key), self.what(key), length)

    def table(self, key: str, default: Any = MISSING) -> Any:
        """A nested mapping as Args (``default`` when absent)."""
        value = self.raw(key, default)
        if value is default and default is not MISSING:
            return value
        if not isinstance(value, LineMap):
            raise ScenarioError(self.line_of(key), f"{self.what(key)} must be a table (key: value lines)")
        return Args(value, f"{self.where} {key}")

    def items(self, key: str, default: Any = MISSING) -> Any:
        """A list (a single value counts as a one-item list)."""
        value = self.raw(key, default)
        if value is default and default is not MISSING:
            return value
        if isinstance(value, LineList):
            return value
        single = LineList([value])
        single.line, single.lines = self.line_of(key), [self.line_of(key)]
        single.texts = {0: self.mapping.texts[key]} if key in self.mapping.texts else {}
        return single

    def done(self) -> None:
        """Refuse keys that no one read (typos)."""
        unknown = [k for k in self.mapping if k not in self.used]
        if unknown:
            key = unknown[0]
            raise ScenarioError(self.line_of(key), f"{self.where}: unknown key '{key}'")


def link_model(args: Args, base: LinkModel | None = None) -> LinkModel:
    """A link model from a table (times as durations, probabilities 0..1), starting from ``base``."""
    values: dict[str, float] = {}
    if base is not None:
        values = {name: getattr(base, name) for name in (*LINK_TIMES, *LINK_PROBABILITIES)}
    for name in LINK_TIMES:
        if args.has(name):
            values[name] = args.duration(name)
    for name in LINK_PROBABILITIES:
        if args.has(name):
            values[name] = args.number(name)
    args.done()
    try:
        return LinkModel(**values)
    except ValueError as exc:
        raise ScenarioError(args.line, f"{args.where}: {exc}") from None


def int_list(args: Args, key: str = "result") -> list[int] | None:
    """A list of integers such as ``[0, 0]`` (None when absent)."""
    if not args.has(key):
        return None
    values = args.items(key)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        raise ScenarioError(args.line_of(key), f"'{key}' is a list of integers such as [0, 0]")
    return list(values)
