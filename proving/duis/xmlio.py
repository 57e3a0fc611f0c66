"""Safe XML parsing and serialisation, plus small element helpers shared by the codecs."""

from __future__ import annotations

import base64
import binascii
import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from .errors import DuisParseError
from .namespaces import SR, prefixed

XmlSource = bytes | str | os.PathLike | etree._Element | etree._ElementTree
"""Accepted document inputs: XML bytes or text, a file path, or an already-parsed tree/element."""


_local = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's parser (lxml parsers must not be shared between threads; building one per call costs)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        # No DTD loading, no entity expansion, no network: DUIS messages come from untrusted peers.
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
    return parser


def parse_xml(source: XmlSource) -> etree._Element:
    """Parse ``source`` into a root element, raising :class:`DuisParseError` for malformed XML.

    ``str`` is XML text (not a path); pass a :class:`pathlib.Path` to read a file.  Elements and
    trees are returned as their root without copying.
    """
    if isinstance(source, etree._ElementTree):
        return source.getroot()
    if isinstance(source, etree._Element):
        return source
    if isinstance(source, os.PathLike):
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise DuisParseError(f"cannot read {source}: {exc.strerror}") from exc
    elif isinstance(source, str):
        data = source.encode("utf-8")  # lxml refuses str input that carries an encoding declaration
    elif isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        raise TypeError(f"cannot parse XML from {type(source).__name__}")
    if not data.strip():
        raise DuisParseError("malformed XML: the document is empty")
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        message = re.sub(r", line \d+, column \d+$", "", exc.msg or "syntax error")
        raise DuisParseError(f"malformed XML: {message} (column {exc.position[1]})", exc.lineno) from None


def to_bytes(doc: etree._Element, *, pretty: bool = False) -> bytes:
    """Serialise ``doc`` as UTF-8 with an XML declaration (never re-indent a signed document)."""
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)


def describe(element: etree._Element) -> str:
    """``sr:Name (line N)`` for error messages."""
    where = f" (line {element.sourceline})" if element.sourceline else ""
    return f"{prefixed(element.tag)}{where}"


def _first_child(parent: etree._Element, tag: str) -> etree._Element | None:
    """``parent.find(tag)``; a plain Clark name is matched in C, without the ElementPath machinery."""
    if tag.startswith("{") and "}" in tag:
        local = tag[tag.index("}") + 1 :]
        if local and "/" not in local and "*" not in local and "[" not in local and "." not in local:
            return next(parent.iterchildren(tag), None)
    return parent.find(tag)


def require(parent: etree._Element, tag: str) -> etree._Element:
    """The first child ``tag`` (Clark notation) of ``parent`` or a :class:`DuisParseError` naming both."""
    child = _first_child(parent, tag)
    if child is None:
        raise DuisParseError(f"{describe(parent)} has no {prefixed(tag)} child", parent.sourceline)
    return child


def envelope(source: XmlSource, root_tag: str) -> tuple[etree._Element, etree._Element, etree._Element]:
    """``(root, sr:Header, the single element of sr:Body)`` of a DUIS Request or Response document."""
    root = parse_xml(source)
    if root.tag != root_tag:
        raise DuisParseError(f"expected sr:{root_tag.split('}')[-1]}, found {describe(root)}", root.sourceline)
    header = require(root, f"{{{SR}}}Header")
    holder = require(root, f"{{{SR}}}Body")
    children = [c for c in holder if isinstance(c.tag, str)]
    if len(children) != 1:
        raise DuisParseError(f"sr:Body must hold exactly one element, found {len(children)}", holder.sourceline)
    return root, header, children[0]


def text_of(parent: etree._Element, tag: str) -> str:
    """Stripped text of the required child ``tag``."""
    return (require(parent, tag).text or "").strip()


def optional_text(parent: etree._Element, tag: str) -> str | None:
    """Stripped text of the optional child ``tag``, or None when absent."""
    child = _first_child(parent, tag)
    return None if child is None else (child.text or "").strip()


def parse_datetime(text: str, where: str = "dateTime") -> datetime:
    """An ``xs:dateTime`` as a :class:`datetime` (aware when the text carries a zone, e.g. ``Z``)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise DuisParseError(f"{where}: {text!r} is not an xs:dateTime") from None


def format_datetime(value: datetime) -> str:
    """An ``xs:dateTime`` keeping every digit of ``value``; UTC is written ``Z``, naive values unqualified."""
    if value.tzinfo is not None and value.utcoffset() == UTC.utcoffset(None):
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()


def parse_int(text: str, where: str) -> int:
    """A decimal (ASCII) integer field, or a :class:`DuisParseError` naming the field."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise DuisParseError(f"{where}: {text!r} is not an integer")
    return int(text)


def encode_b64(data: bytes) -> str:
    """``xs:base64Binary`` text, unwrapped."""
    return base64.b64encode(data).decode("ascii")


def decode_b64(text: str, where: str) -> bytes:
    """Decode ``xs:base64Binary`` (whitespace allowed), or a :class:`DuisParseError` naming the field."""
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise DuisParseError(f"{where}: not valid base64") from None


def normalise_hex(value: str | int, where: str) -> str:
    """``xs:hexBinary`` as upper-case hex; ints are written as two octets (``0x8F66`` -> ``8F66``)."""
    text = f"{value:04X}" if isinstance(value, int) else value.strip().upper()
    if len(text) % 2 or any(c not in "0123456789ABCDEF" for c in text):
        raise ValueError(f"{where}: {value!r} is not hexBinary")
    return text
