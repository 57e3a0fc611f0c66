"""XSD-driven DUIS request bodies: the smallest valid instance of an SRV body element (or one with every
optional part), built from the schema model of :mod:`proving.duis.xsd_model`.

Seed 0 gives a canonical, readable instance: the first enumeration value and choice alternative, small
numbers, dates at ``now``.  Any other seed makes seeded choices (alternatives, occurrence counts, enum
values, numbers, strings matching the patterns) and the result is still schema-valid.  ``hints`` override
generated values (see :func:`generate_body`).
"""

from __future__ import annotations

import base64
import functools
import os
import random
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from lxml import etree

from .errors import DuisSchemaError
from .namespaces import SR
from .xmlio import format_datetime
from .xsd_model import Element, Group, Particle, SimpleType, Wildcard, XsdModel, load_model

HintValue = str | int | bool | Decimal | datetime | date | bytes
"""What a hint may be: text as is, bools as ``true``/``false``, datetimes as xs:dateTime, bytes as hex."""

# -- choosing ------------------------------------------------------------------------------------------


class _Chooser:
    """Seed 0: the first / canonical option.  Other seeds: a :class:`random.Random` choice."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed) if seed else None

    def index(self, n: int) -> int:
        return 0 if self.rng is None else self.rng.randrange(n)

    def integer(self, lo: int, hi: int, canonical: int) -> int:
        """A value in ``lo..hi``; ``canonical`` (already in range) at seed 0; bounds are picked now and then."""
        if self.rng is None:
            return canonical
        roll = self.rng.random()
        if roll < 0.1:
            return lo
        if roll < 0.2:
            return hi
        return self.rng.randint(lo, min(hi, lo + 10_000))


# -- the XSD regular-expression subset (character classes, groups, alternation, quantifiers) --------------

_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
_ESCAPES = {"d": string.digits, "s": " ", "w": string.ascii_letters + string.digits, "i": string.ascii_letters,
            "c": string.ascii_letters + string.digits, "n": "\n", "t": "\t", "r": "\r"}
_UPPER = string.digits + string.ascii_uppercase
_PREFERRED = _UPPER + string.ascii_lowercase

Piece = tuple[Any, int, int | None]  # (atom, min, max); atom: str (a character set) or list of branches


class _Pattern:
    """Parses one XSD pattern into branches of (atom, min, max) pieces."""

    def __init__(self, pattern: str) -> None:
        self.text, self.pos = pattern, 0
        self.tree = self._alternation()
        if self.pos != len(self.text):
            raise DuisSchemaError(f"unsupported XSD pattern {pattern!r} at {self.pos}")

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _next(self) -> str:
        if self.pos >= len(self.text):
            raise DuisSchemaError(f"truncated XSD pattern {self.text!r}")
        self.pos += 1
        return self.text[self.pos - 1]

    def _alternation(self) -> list[list[Piece]]:
        branches = [self._branch()]
        while self._peek() == "|":
            self.pos += 1
            branches.append(self._branch())
        return branches

    def _branch(self) -> list[Piece]:
        pieces: list[Piece] = []
        while self._peek() not in ("", "|", ")"):
            atom = self._atom()
            pieces.append((atom, *self._quantifier()))
        return pieces

    def _atom(self) -> str | list[list[Piece]]:
        char = self._next()
        if char == "(":
            inner = self._alternation()
            if self._next() != ")":
                raise DuisSchemaError(f"unbalanced group in XSD pattern {self.text!r}")
            return inner
        if char == "[":
            return self._class()
        if char == "\\":
            return self._escape()
        return _PRINTABLE if char == "." else char

    def _escape(self) -> str:
        char = self._next()
        if char in "pP":
            raise DuisSchemaError(f"unicode categories are not supported: {self.text!r}")
        return _ESCAPES.get(char, char)

    def _class(self) -> str:
        negate = self._peek() == "^"
        self.pos += negate
        members: set[str] = set()
        first = True
        while first or self._peek() != "]":
            first = False
            char = self._next()
            if char == "[":
                raise DuisSchemaError(f"character class subtraction is not supported: {self.text!r}")
            low = self._escape() if char == "\\" else char
            if self._peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", "["):
                self.pos += 1
                high = self._next()
                high = self._escape() if high == "\\" else high
                members.update(chr(c) for c in range(ord(low), ord(high) + 1))
            else:
                members.update(low)
        self.pos += 1
        chars = set(_PRINTABLE) - members if negate else members
        return "".join(sorted(chars))

    def _quantifier(self) -> tuple[int, int | None]:
        char = self._peek()
        if char in ("?", "*", "+"):
            self.pos += 1
            return {"?": (0, 1), "*": (0, None), "+": (1, None)}[char]
        if char != "{":
            return 1, 1
        end = self.text.index("}", self.pos)
        low, comma, high = self.text[self.pos + 1 : end].partition(",")
        self.pos = end + 1
        return int(low), (int(low) if not comma else int(high) if high else None)


class _PatternWriter:
    """Writes one string matching a parsed pattern; ``run`` is the repeat count of unbounded characters."""

    def __init__(self, chooser: _Chooser, run: int) -> None:
        self.chooser, self.run, self.cycle = chooser, run, 0

    def branches(self, branches: list[list[Piece]]) -> str:
        branch = branches[self.chooser.index(len(branches))]
        return "".join(self.piece(piece) for piece in branch)

    def piece(self, piece: Piece) -> str:
        atom, low, high = piece
        if high is None:
            count = max(low, self.run) if isinstance(atom, str) else low + self.chooser.index(3)
        else:
            count = self.chooser.integer(low, high, low)
        return "".join(self.atom(atom) for _ in range(count))

    def atom(self, atom: str | list[list[Piece]]) -> str:
        if not isinstance(atom, str):
            return self.branches(atom)
        preferred = [c for c in _UPPER if c in atom] or [c for c in _PREFERRED if c in atom] or list(atom)
        if len(preferred) == 1:
            return preferred[0]
        if self.chooser.rng is not None:
            return self.chooser.rng.choice(preferred)
        self.cycle += 1
        return preferred[(self.cycle - 1) % len(preferred)]


@functools.lru_cache(maxsize=256)
def _parse(pattern: str) -> list[list[Piece]]:
    return _Pattern(pattern).tree


def _matches(value: str, patterns: tuple[tuple[str, ...], ...]) -> bool:
    for step in patterns:
        try:
            if not any(re.fullmatch(p, value) for p in step):
                return False
        except re.error:  # an XSD-only construct: trust the writer
            continue
    return True


# -- simple values -----------------------------------------------------------------------------------------

_INT_RANGES: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None), "positiveInteger": (1, None), "nonNegativeInteger": (0, None),
    "negativeInteger": (None, -1), "nonPositiveInteger": (None, 0),
    "long": (-(2**63), 2**63 - 1), "int": (-(2**31), 2**31 - 1), "short": (-(2**15), 2**15 - 1), "byte": (-128, 127),
    "unsignedLong": (0, 2**64 - 1), "unsignedInt": (0, 2**32 - 1), "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}
_OTHER_DEFAULTS = {"anyURI": "urn:smetsim:pp", "language": "en", "duration": "PT1H", "double": "1.0", "float": "1.0",
                   "gYear": "2026", "gMonth": "--01", "gDay": "---01", "gYearMonth": "2026-01", "gMonthDay": "--01-01"}


@dataclass
class _Values:
    """Writes the lexical value of a simple type, honouring its facets."""

    chooser: _Chooser
    now: datetime

    def value(self, simple: SimpleType, name: str) -> str:
        facets = simple.facets
        if facets.enumerations:
            return facets.enumerations[self.chooser.index(len(facets.enumerations))]
        kind = simple.builtin
        if kind in _INT_RANGES:
            return str(self._pick(*self._bounds(simple), canonical=self.now.year if name.endswith("Year") else 1))
        if kind == "decimal":
            return self._decimal(simple)
        if kind == "boolean":
            return ("true", "false")[self.chooser.index(2)]
        if kind in ("dateTime", "date", "time"):
            return self._temporal(kind, name)
        if kind in ("hexBinary", "base64Binary"):
            return self._binary(simple)
        if kind in _OTHER_DEFAULTS:
            return _OTHER_DEFAULTS[kind]
        return self._string(simple, name)

    def _bounds(self, simple: SimpleType, scale: int = 1) -> tuple[int | None, int | None]:
        """Inclusive bounds of ``value * scale`` (integer), from the built-in range and the facets."""
        lo, hi = _INT_RANGES.get(simple.builtin, (None, None))
        lo, hi = (None if lo is None else lo * scale), (None if hi is None else hi * scale)
        facets = simple.facets

        def tighten(facet: str, rounding: str, step: int) -> int | None:
            text = facets.get(facet)
            if text is None:
                return None
            exact = Decimal(text) * scale
            value = int(exact.to_integral_value(rounding=rounding))
            return value + step if value == exact and facet.endswith("Exclusive") else value

        for facet, rounding, step in (("minInclusive", ROUND_CEILING, 0), ("minExclusive", ROUND_CEILING, 1)):
            value = tighten(facet, rounding, step)
            lo = value if lo is None or (value is not None and value > lo) else lo
        for facet, rounding, step in (("maxInclusive", ROUND_FLOOR, 0), ("maxExclusive", ROUND_FLOOR, -1)):
            value = tighten(facet, rounding, step)
            hi = value if hi is None or (value is not None and value < hi) else hi
        digits = facets.number("totalDigits")
        if digits is not None:  # conservative for decimals: the scaled integer has at most that many digits
            limit = 10**digits - 1
            lo, hi = max(lo, -limit) if lo is not None else -limit, min(hi, limit) if hi is not None else limit
        return lo, hi

    def _pick(self, lo: int | None, hi: int | None, canonical: int) -> int:
        low = lo if lo is not None else (min(hi, 0) - 1000 if hi is not None else 0)
        high = hi if hi is not None else low + 1000
        if low > high:
            raise DuisSchemaError(f"empty value space {lo}..{hi}")
        return self.chooser.integer(low, high, min(max(canonical, low), high))

    def _decimal(self, simple: SimpleType) -> str:
        fraction = simple.facets.number("fractionDigits")
        places = 2 if fraction is None else fraction
        scale = 10**places
        lo, hi = self._bounds(simple, scale)
        scaled = self._pick(lo, hi, canonical=scale)
        text = format(Decimal(scaled).scaleb(-places), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text

    def _temporal(self, kind: str, name: str) -> str:
        when = self.now - timedelta(days=1) if re.search("Start|From|Begin", name) else self.now
        if self.chooser.rng is not None:
            when -= timedelta(seconds=self.chooser.rng.randint(0, 86_400))
        if kind == "date":
            return when.date().isoformat()
        if kind == "time":
            return "00:00:00" if self.chooser.rng is None else when.strftime("%H:%M:00")
        return format_datetime(when)

    def _binary(self, simple: SimpleType) -> str:
        size = self._length(simple, default=8)
        if self.chooser.rng is None:
            data = bytes((0x11 * (i % 15 + 1)) & 0xFF for i in range(size))
        else:
            data = self.chooser.rng.randbytes(size)
        return data.hex().upper() if simple.builtin == "hexBinary" else base64.b64encode(data).decode("ascii")

    def _length(self, simple: SimpleType, default: int) -> int:
        facets = simple.facets
        exact = facets.number("length")
        if exact is not None:
            return exact
        high = facets.number("maxLength")
        low = max(facets.number("minLength") or 0, 1)  # no empty values ...
        low = low if high is None else min(low, high)  # ... unless maxLength is 0
        high = max(low, default if high is None else high)
        if self.chooser.rng is None:
            return min(max(default, low), high)
        return self.chooser.rng.randint(low, min(high, low + 24))

    def _string(self, simple: SimpleType, name: str) -> str:
        facets = simple.facets
        length = self._length(simple, default=len(name) + 3)
        if self.chooser.rng is None and not facets.patterns:
            fixed = facets.get("length") is not None or (
                facets.get("minLength") is not None and facets.get("minLength") == facets.get("maxLength"))
            text = (("1234567890" * (length // 10 + 1)) if fixed else f"PP {name}" + "0" * length)[:length]
            return text[:-1] + "0" if text.endswith(" ") else text
        if self.chooser.rng is None:
            label = f"PP {name}"[:length].rstrip()
            if self._fits(label, simple):
                return label
        if not facets.patterns:
            return "".join(self.chooser.rng.choice(_PREFERRED) for _ in range(length)) if self.chooser.rng else "1"
        return self._from_pattern(simple, length)

    @staticmethod
    def _fits(text: str, simple: SimpleType) -> bool:
        facets = simple.facets
        exact, low, high = facets.number("length"), facets.number("minLength"), facets.number("maxLength")
        size = len(text)
        if (exact is not None and size != exact) or (low is not None and size < low):
            return False
        return (high is None or size <= high) and _matches(text, facets.patterns)

    def _from_pattern(self, simple: SimpleType, length: int) -> str:
        facets = simple.facets
        tree = _parse(facets.patterns[-1][0])  # the most derived pattern; _fits checks the others
        runs = dict.fromkeys([length, 1, facets.number("minLength") or 1, facets.number("maxLength") or 1])
        for run in runs:
            for _attempt in range(8):
                text = _PatternWriter(self.chooser, run).branches(tree)
                if self._fits(text, simple):
                    return text
        raise DuisSchemaError(f"cannot write a value for {simple.name} (patterns {simple.facets.patterns})")


# -- hints -------------------------------------------------------------------------------------------------


class _Hints:
    """Element paths (``A/B/C`` local names, or ``A/@attr``) matched against the end of a value's path."""

    def __init__(self, hints: Mapping[str, HintValue] | None) -> None:
        self.keys = {tuple(k.strip("/").split("/")): (k, v) for k, v in (hints or {}).items()}
        self.used: set[str] = set()

    def value(self, path: tuple[str, ...]) -> str | None:
        for parts, (key, value) in self.keys.items():
            if path[-len(parts) :] == parts:
                self.used.add(key)
                return _format_hint(value)
        return None

    def wants(self, path: tuple[str, ...]) -> bool:
        """True when a hint names this element or something below it (so an optional part is included)."""
        for parts in self.keys:
            for i, part in enumerate(parts):
                if part == path[-1] and path[-(i + 1) :] == parts[: i + 1]:
                    return True
        return False

    def check_used(self) -> None:
        unused = sorted(key for key, _ in self.keys.values() if key not in self.used)
        if unused:
            raise ValueError(f"hints matched no generated value: {', '.join(unused)}")


def _format_hint(value: HintValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex().upper()
    return str(value)


# -- the tree walk -----------------------------------------------------------------------------------------

EXECUTION_DATETIME = "ExecutionDateTime"


@dataclass
class _Builder:
    model: XsdModel
    chooser: _Chooser
    values: _Values
    hints: _Hints
    optional: bool
    execution_datetime: datetime | None

    def element(self, decl: Element, path: tuple[str, ...], parent: etree._Element | None) -> etree._Element:
        """Write the element ``decl`` (under ``parent``, or as a new root) and return it."""
        kind = self.model.type_of(decl)
        node = (etree.Element(decl.qname.text, nsmap={"sr": SR}) if parent is None
                else etree.SubElement(parent, decl.qname.text))
        hinted = self.hints.value(path)
        if isinstance(kind, SimpleType):
            node.text = hinted if hinted is not None else self._simple(kind, path)
            return node
        if kind.abstract:
            raise DuisSchemaError(f"{'/'.join(path)}: abstract type {kind.name} needs xsi:type (not supported)")
        for attribute in kind.attributes:
            if attribute.required or self.optional or self.hints.wants(path + ("@" + attribute.name,)):
                text = self.hints.value(path + ("@" + attribute.name,))
                if text is None:
                    text = self.values.value(attribute.type, attribute.name)
                node.set(attribute.name, text)
        if kind.simple is not None:
            node.text = hinted if hinted is not None else self._simple(kind.simple, path)
        elif hinted is not None:
            raise ValueError(f"hint for {'/'.join(path)}: the element has element content")
        elif kind.content is not None:
            self.particle(kind.content, path, node)
        return node

    def _simple(self, simple: SimpleType, path: tuple[str, ...]) -> str:
        if path[-1] == EXECUTION_DATETIME and simple.builtin == "dateTime":
            when = self.execution_datetime or self.values.now + timedelta(days=1)
            return format_datetime(when)
        return self.values.value(simple, path[-1])

    def particle(self, particle: Particle, path: tuple[str, ...], parent: etree._Element) -> None:
        for _ in range(self._count(particle, path)):
            if isinstance(particle, Element):
                self.element(particle, path + (particle.name,), parent)
            elif isinstance(particle, Group) and particle.kind == "choice":
                self.particle(self._alternative(particle, path), path, parent)
            elif isinstance(particle, Group):
                for item in particle.items:
                    self.particle(item, path, parent)
            elif particle.min_occurs:
                raise DuisSchemaError(f"{'/'.join(path)}: required xs:any ({particle.namespace}) is not supported")

    def _count(self, particle: Particle, path: tuple[str, ...]) -> int:
        low, high = particle.min_occurs, particle.max_occurs
        if high == 0:
            return 0
        if isinstance(particle, Element) and particle.name == EXECUTION_DATETIME and low == 0:
            return int(self.execution_datetime is not None)
        if isinstance(particle, Wildcard):
            return low
        if low == 0:
            if not (self.optional or self._mentions(particle, path)):
                return 0
            low = 1
        top = low + 1 if high is None else min(high, low + 1)
        return self.chooser.integer(low, top, low) if self.chooser.rng is not None else low

    def _mentions(self, particle: Particle, path: tuple[str, ...]) -> bool:
        """Does the particle hold (directly or in nested groups) an element a hint asks for?"""
        if isinstance(particle, Element):
            if particle.name == EXECUTION_DATETIME and self.execution_datetime is not None:
                return True
            return self.hints.wants(path + (particle.name,))
        if isinstance(particle, Group):
            return any(self._mentions(item, path) for item in particle.items)
        return False

    def _alternative(self, choice: Group, path: tuple[str, ...]) -> Particle:
        wanted = [item for item in choice.items if self._mentions(item, path)]
        options = wanted or list(choice.items)
        return options[self.chooser.index(len(options))]


def generate_body(
    schema_dir: str | os.PathLike,
    body_element_name: str,
    *,
    seed: int = 0,
    hints: Mapping[str, HintValue] | None = None,
    execution_datetime: datetime | None = None,
    optional: bool = False,
    now: datetime | None = None,
) -> etree._Element:
    """A schema-valid ``sr:<body_element_name>`` for a DUIS Request, generated from the XSD in ``schema_dir``.

    Every required element and attribute is present; optional ones only with ``optional=True`` (then
    once each) or when a hint names them.  ``ExecutionDateTime`` appears only when ``execution_datetime``
    is given (or the type requires it: then it is ``now`` + 1 day).  Dates and times are near ``now``
    (default: the current UTC second).  ``hints`` maps element paths to values: ``"InstallCode"`` sets
    every InstallCode, ``"AddDeviceToCHFWhitelist/InstallCode"`` only those under that parent,
    ``"Element/@attr"`` an attribute; a hint naming an optional element (or something under it) includes
    it and steers choices towards it.  Hint values are not checked against the schema.  Raises
    :class:`ValueError` when a hint matches nothing and :class:`DuisSchemaError` for an unknown body.
    """
    model = load_model(schema_dir)
    decl = model.body_element(body_element_name)
    chooser = _Chooser(seed)
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    builder = _Builder(model, chooser, _Values(chooser, moment), _Hints(hints), optional, execution_datetime)
    body = builder.element(decl, (decl.name,), None)
    builder.hints.check_used()
    return body


def generate_value(schema_dir: str | os.PathLike, type_name: str, *, seed: int = 0, now: datetime | None = None) -> str:
    """A valid lexical value of the named simple type (``{namespace}name`` or an ``sr`` local name)."""
    model = load_model(schema_dir)
    simple = model.type(type_name if type_name.startswith("{") else etree.QName(SR, type_name))
    if not isinstance(simple, SimpleType):
        raise DuisSchemaError(f"{type_name} is not a simple type")
    values = _Values(_Chooser(seed), (now or datetime.now(UTC)).replace(microsecond=0))
    return values.value(simple, etree.QName(type_name).localname)
