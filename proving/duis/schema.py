"""Load, cache and apply the DUIS 5.4 XSD (which imports the MMC 5.4 and XML-DSig schemas).

The schema files are corpus data and are not shipped: the caller passes the directory holding
``DUIS Schema V5.4.xsd``, ``MMC Schema V5.4.xsd`` and ``xmldsig-core-schema.xsd``.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from lxml import etree

from .errors import DuisSchemaError, DuisValidationError
from .namespaces import prefixed
from .xmlio import XmlSource, parse_xml

DUIS_XSD = "DUIS Schema V5.4.xsd"
MMC_XSD = "MMC Schema V5.4.xsd"
_XS = "http://www.w3.org/2001/XMLSchema"


class _DirectoryResolver(etree.Resolver):
    """Serves schema imports from one directory only, matching on the (URL-unquoted) file name."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory

    def resolve(self, system_url: str | None, public_id: str | None, context: object):  # noqa: ANN201 - lxml API
        if not system_url:
            return None
        candidate = self.directory / unquote(system_url.replace("\\", "/").rsplit("/", 1)[-1])
        if candidate.is_file():
            return self.resolve_filename(str(candidate), context)
        return None


@dataclass(frozen=True)
class DuisSchema:
    """A compiled XSD plus the raw schema trees (for reading enumerations)."""

    directory: Path
    xsd: etree.XMLSchema = field(repr=False)
    documents: tuple[etree._Element, ...] = field(repr=False)

    def validate(self, doc: XmlSource) -> list[str]:
        """Every violation as ``line N: message`` (sr:/ds:/ra: prefixes); an empty list when valid.

        Elements built in memory have no line numbers, so on failure such a document is re-serialised
        (indented) and validated again, and the lines refer to ``to_bytes(doc, pretty=True)``.
        """
        root = parse_xml(doc)
        if self.xsd.validate(root):
            return []
        errors = list(self.xsd.error_log)
        if root.sourceline is None or all(not e.line for e in errors):
            reparsed = etree.fromstring(etree.tostring(root, pretty_print=True))
            self.xsd.validate(reparsed)
            errors = list(self.xsd.error_log)
        return [f"line {e.line}: {_readable(e.message)}" for e in errors]

    def assert_valid(self, doc: XmlSource) -> None:
        """Raise :class:`DuisValidationError` unless ``doc`` is valid."""
        errors = self.validate(doc)
        if errors:
            raise DuisValidationError(errors)

    def enumeration(self, type_name: str) -> list[str]:
        """The ``xs:enumeration`` values of the named simple type, or of the anonymous simple type of
        the element named ``type_name`` (e.g. ``ResponseCode``, ``DCCAlertCode``), in schema order."""
        for tree in self.documents:
            for node in tree.iter(f"{{{_XS}}}simpleType", f"{{{_XS}}}element"):
                if node.get("name") != type_name:
                    continue
                values = [e.get("value") for e in node.iter(f"{{{_XS}}}enumeration")]
                if values:
                    return values
        raise KeyError(f"no enumerated type or element named {type_name!r} in the schema")


def _readable(message: str) -> str:
    """lxml messages use Clark names: show prefixes instead."""
    return re.sub(r"\{[^}]*\}\w+", lambda m: prefixed(m.group(0)), message)


def _quote_locations(tree: etree._Element) -> None:
    """libxml2 silently skips an ``xs:import`` whose schemaLocation contains a space: URL-quote them."""
    for node in tree.iter(f"{{{_XS}}}import", f"{{{_XS}}}include"):
        location = node.get("schemaLocation")
        if location and location != quote(location, safe="/:%"):
            node.set("schemaLocation", quote(location, safe="/:%"))


@functools.lru_cache(maxsize=8)
def _load(directory: Path, main: str) -> DuisSchema:
    path = directory / main
    if not path.is_file():
        raise DuisSchemaError(f"schema file {main!r} not found in {directory}")
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_DirectoryResolver(directory))
    try:
        tree = etree.parse(str(path), parser)
        _quote_locations(tree.getroot())
        xsd = etree.XMLSchema(tree)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise DuisSchemaError(f"cannot compile {path}: {exc}") from None
    documents = [tree.getroot()]
    for other in sorted(directory.glob("*.xsd")):
        if other.name != main:
            try:
                documents.append(etree.parse(str(other), parser).getroot())
            except etree.XMLSyntaxError:
                continue
    return DuisSchema(directory, xsd, tuple(documents))


def load_schema(xsd_dir: str | os.PathLike, main: str = DUIS_XSD) -> DuisSchema:
    """Compile (once per directory and file; cached) the XSD ``main`` found in ``xsd_dir``.

    The default is the DUIS 5.4 schema; pass ``main=MMC_XSD`` for the stand-alone MMC schema.
    Raises :class:`DuisSchemaError` when a file is missing or does not compile.
    """
    return _load(Path(xsd_dir).resolve(), main)
