"""A small, read-only model of the DUIS XSD (element declarations, content models, simple-type facets).

Built with lxml from the schema documents :func:`proving.duis.schema.load_schema` already parsed, and
cached per directory.  It covers the XSD constructs DUIS 5.4, MMC 5.4 and XML-DSig use: global and local
elements (``ref`` too), named and anonymous complex/simple types, sequence/choice/all/group/any particles,
simple and complex content by extension or restriction, attributes (and attribute groups) and the
restriction facets.  It is the input of :mod:`proving.duis.instance`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from .errors import DuisSchemaError
from .namespaces import SR
from .schema import load_schema

XS = "http://www.w3.org/2001/XMLSchema"
UNBOUNDED = None
"""``max_occurs`` of an unbounded particle."""

_SINGLE_FACETS = ("length", "minLength", "maxLength", "totalDigits", "fractionDigits",
                  "minInclusive", "maxInclusive", "minExclusive", "maxExclusive")


def _xs(local: str) -> str:
    return f"{{{XS}}}{local}"


@dataclass(frozen=True)
class Facets:
    """Restriction facets accumulated along a simple type's derivation chain (the most derived wins).

    ``patterns`` holds one tuple per derivation step: a value must match one pattern of every step.
    """

    enumerations: tuple[str, ...] | None = None
    patterns: tuple[tuple[str, ...], ...] = ()
    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        """The value of a single-valued facet (``maxLength``, ``minInclusive`` ...), or None."""
        return self.values.get(name)

    def number(self, name: str) -> int | None:
        """An integer-valued facet (``length``, ``totalDigits`` ...), or None."""
        value = self.values.get(name)
        return None if value is None else int(value)

    def merged(self, node: etree._Element) -> Facets:
        """These facets restricted further by the facet children of an ``xs:restriction`` node."""
        enums = [f.get("value", "") for f in node.iterchildren(_xs("enumeration"))]
        patterns = tuple(f.get("value", "") for f in node.iterchildren(_xs("pattern")))
        values = dict(self.values)
        for name in _SINGLE_FACETS:
            child = node.find(_xs(name))
            if child is not None:
                values[name] = child.get("value", "")
        return Facets(
            enumerations=tuple(enums) if enums else self.enumerations,
            patterns=self.patterns + ((patterns,) if patterns else ()),
            values=values,
        )


@dataclass(frozen=True)
class SimpleType:
    """A simple type: the built-in XSD type it derives from (local name, e.g. ``positiveInteger``) + facets."""

    name: str
    builtin: str
    facets: Facets = field(default_factory=Facets)


@dataclass(frozen=True)
class Attribute:
    """An attribute use (unqualified name)."""

    name: str
    type: SimpleType
    required: bool


@dataclass(frozen=True)
class Element:
    """An element particle: its qualified name, occurrence bounds and type (by name or anonymous)."""

    name: str
    namespace: str | None
    min_occurs: int
    max_occurs: int | None
    type_name: etree.QName | None = None
    anonymous: ComplexType | SimpleType | None = None

    @property
    def qname(self) -> etree.QName:
        """The element's qualified name."""
        return etree.QName(self.namespace, self.name)


@dataclass(frozen=True)
class Group:
    """A ``sequence``, ``choice`` or ``all`` model group."""

    kind: str
    items: tuple[Particle, ...]
    min_occurs: int = 1
    max_occurs: int | None = 1


@dataclass(frozen=True)
class Wildcard:
    """An ``xs:any`` particle."""

    namespace: str
    min_occurs: int
    max_occurs: int | None


Particle = Element | Group | Wildcard


@dataclass(frozen=True)
class ComplexType:
    """A complex type with its effective content (extensions flattened) and attribute uses."""

    name: str
    abstract: bool = False
    mixed: bool = False
    content: Particle | None = None
    simple: SimpleType | None = None
    attributes: tuple[Attribute, ...] = ()


_STRING = SimpleType("xs:string", "string")


class XsdModel:
    """Global components of a set of schema documents, resolved on demand (named types are cached)."""

    def __init__(self, documents: tuple[etree._Element, ...]) -> None:
        self._globals: dict[tuple[str, etree.QName], tuple[etree._Element, etree._Element]] = {}
        for doc in documents:
            target = doc.get("targetNamespace")
            for node in doc:
                name = node.get("name") if isinstance(node.tag, str) else None
                if name:
                    self._globals.setdefault((etree.QName(node).localname, etree.QName(target, name)), (node, doc))
        self._types: dict[etree.QName, ComplexType | SimpleType] = {}

    # -- global lookups ---------------------------------------------------------------------------

    def _global(self, kind: str, qname: etree.QName) -> tuple[etree._Element, etree._Element]:
        try:
            return self._globals[(kind, qname)]
        except KeyError:
            raise DuisSchemaError(f"no global xs:{kind} {qname.text} in the schema") from None

    def element(self, qname: etree.QName | str) -> Element:
        """The global element declaration ``qname``."""
        qname = etree.QName(qname)
        node, doc = self._global("element", qname)
        return self._element(node, doc, top=True)

    def type(self, qname: etree.QName | str) -> ComplexType | SimpleType:
        """The named type ``qname`` (built-in XSD types included), built once."""
        qname = etree.QName(qname)
        if qname.namespace == XS:
            return _STRING if qname.localname in ("anyType", "anySimpleType") else SimpleType(
                f"xs:{qname.localname}", qname.localname)
        cached = self._types.get(qname)
        if cached is None:
            try:
                node, doc = self._globals[("complexType", qname)]
            except KeyError:
                node, doc = self._global("simpleType", qname)
                cached = self._simple(node, doc, qname.text)
            else:
                cached = self._complex(node, doc, qname.text)
            self._types[qname] = cached
        return cached

    def type_of(self, element: Element) -> ComplexType | SimpleType:
        """The (resolved) type of an element declaration; ``xs:anyType`` when it has none."""
        if element.anonymous is not None:
            return element.anonymous
        if element.type_name is None:
            return ComplexType("xs:anyType", mixed=True, content=Wildcard("##any", 0, UNBOUNDED))
        return self.type(element.type_name)

    def body_element(self, name: str) -> Element:
        """The declaration of the SRV body element ``name``: a child of ``sr:Request/sr:Body``."""
        request = self.type_of(self.element(etree.QName(SR, "Request")))
        body = _child(request, "Body") if isinstance(request, ComplexType) else None
        body_type = self.type_of(body) if body is not None else None
        found = _child(body_type, name) if isinstance(body_type, ComplexType) else None
        if found is None:
            raise DuisSchemaError(f"{name!r} is not a DUIS request body element")
        return found

    # -- builders ---------------------------------------------------------------------------------

    @staticmethod
    def _qname(node: etree._Element, text: str) -> etree.QName:
        prefix, _, local = text.rpartition(":")
        namespace = node.nsmap.get(prefix or None)
        if prefix and namespace is None:
            raise DuisSchemaError(f"undeclared prefix in {text!r}")
        return etree.QName(namespace, local)

    def _element(self, node: etree._Element, doc: etree._Element, *, top: bool = False) -> Element:
        min_occurs, max_occurs = _occurs(node)
        ref = node.get("ref")
        if ref is not None:
            target = self.element(self._qname(node, ref))
            return replace(target, min_occurs=min_occurs, max_occurs=max_occurs)
        qualified = top or node.get("form", doc.get("elementFormDefault", "unqualified")) == "qualified"
        namespace = doc.get("targetNamespace") if qualified else None
        type_attr = node.get("type")
        anonymous: ComplexType | SimpleType | None = None
        if type_attr is None:
            complex_node = node.find(_xs("complexType"))
            simple_node = node.find(_xs("simpleType"))
            if complex_node is not None:
                anonymous = self._complex(complex_node, doc, node.get("name", ""))
            elif simple_node is not None:
                anonymous = self._simple(simple_node, doc, node.get("name", ""))
        return Element(
            name=node.get("name", ""),
            namespace=namespace,
            min_occurs=min_occurs,
            max_occurs=max_occurs,
            type_name=None if type_attr is None else self._qname(node, type_attr),
            anonymous=anonymous,
        )

    def _simple(self, node: etree._Element, doc: etree._Element, name: str) -> SimpleType:
        restriction = node.find(_xs("restriction"))
        if restriction is None:  # xs:list / xs:union: not used by DUIS; treat the value space as strings
            return SimpleType(name, "string")
        base = self._restriction_base(restriction, doc)
        if not isinstance(base, SimpleType):
            raise DuisSchemaError(f"simple type {name} restricts a complex type")
        return SimpleType(name, base.builtin, base.facets.merged(restriction))

    def _restriction_base(self, restriction: etree._Element, doc: etree._Element) -> ComplexType | SimpleType:
        base = restriction.get("base")
        if base is not None:
            return self.type(self._qname(restriction, base))
        inline = restriction.find(_xs("simpleType"))
        return _STRING if inline is None else self._simple(inline, doc, "")

    def _complex(self, node: etree._Element, doc: etree._Element, name: str) -> ComplexType:
        abstract = node.get("abstract") == "true"
        mixed = node.get("mixed") == "true"
        simple_content = node.find(_xs("simpleContent"))
        complex_content = node.find(_xs("complexContent"))
        if simple_content is not None:
            return self._simple_content(simple_content, doc, name, abstract)
        if complex_content is None:
            return ComplexType(name, abstract, mixed, self._content(node, doc), None, self._attributes(node, doc))
        mixed = mixed or complex_content.get("mixed") == "true"
        derivation = next((c for c in complex_content if isinstance(c.tag, str)), None)
        if derivation is None or derivation.get("base") is None:
            raise DuisSchemaError(f"complex type {name}: complexContent without a base")
        base = self.type(self._qname(derivation, derivation.get("base", "")))
        own_content = self._content(derivation, doc)
        own_attributes = self._attributes(derivation, doc)
        if not isinstance(base, ComplexType):
            raise DuisSchemaError(f"complex type {name} derives from simple type {base.name} by complexContent")
        if etree.QName(derivation).localname == "restriction":
            attributes = _merge_attributes(base.attributes, own_attributes)
            return ComplexType(name, abstract, mixed, own_content, None, attributes)
        parts = tuple(p for p in (base.content, own_content) if p is not None)
        content = parts[0] if len(parts) == 1 else Group("sequence", parts) if parts else None
        return ComplexType(name, abstract, mixed or base.mixed, content, None,
                           _merge_attributes(base.attributes, own_attributes))

    def _simple_content(self, node: etree._Element, doc: etree._Element, name: str, abstract: bool) -> ComplexType:
        derivation = next(c for c in node if isinstance(c.tag, str))
        base = self._restriction_base(derivation, doc)
        base_simple = base.simple if isinstance(base, ComplexType) else base
        base_attributes = base.attributes if isinstance(base, ComplexType) else ()
        simple = base_simple or _STRING
        if etree.QName(derivation).localname == "restriction":
            simple = SimpleType(name, simple.builtin, simple.facets.merged(derivation))
        attributes = _merge_attributes(base_attributes, self._attributes(derivation, doc))
        return ComplexType(name, abstract, False, None, simple, attributes)

    def _content(self, holder: etree._Element, doc: etree._Element) -> Particle | None:
        for child in holder:
            if isinstance(child.tag, str) and etree.QName(child).localname in ("sequence", "choice", "all", "group"):
                return self._particle(child, doc)
        return None

    def _particle(self, node: etree._Element, doc: etree._Element) -> Particle | None:
        kind = etree.QName(node).localname
        min_occurs, max_occurs = _occurs(node)
        if kind == "element":
            return self._element(node, doc)
        if kind == "any":
            return Wildcard(node.get("namespace", "##any"), min_occurs, max_occurs)
        if kind == "group":
            group_node, group_doc = self._global("group", self._qname(node, node.get("ref", "")))
            inner = self._content(group_node, group_doc)
            return None if inner is None else replace(inner, min_occurs=min_occurs, max_occurs=max_occurs)
        if kind in ("sequence", "choice", "all"):
            items = tuple(p for c in node if isinstance(c.tag, str) and (p := self._particle(c, doc)) is not None)
            return Group(kind, items, min_occurs, max_occurs)
        return None  # annotation

    def _attributes(self, holder: etree._Element, doc: etree._Element) -> tuple[Attribute, ...]:
        out: list[Attribute] = []
        for child in holder:
            if not isinstance(child.tag, str):
                continue
            kind = etree.QName(child).localname
            if kind == "attribute" and child.get("use") != "prohibited":
                out.append(self._attribute(child, doc))
            elif kind == "attributeGroup":
                group_node, group_doc = self._global("attributeGroup", self._qname(child, child.get("ref", "")))
                out.extend(self._attributes(group_node, group_doc))
        return tuple(out)

    def _attribute(self, node: etree._Element, doc: etree._Element) -> Attribute:
        required = node.get("use") == "required"
        ref = node.get("ref")
        if ref is not None:
            node, doc = self._global("attribute", self._qname(node, ref))
        type_attr = node.get("type")
        inline = node.find(_xs("simpleType"))
        if type_attr is not None:
            resolved = self.type(self._qname(node, type_attr))
        elif inline is not None:
            resolved = self._simple(inline, doc, node.get("name", ""))
        else:
            resolved = _STRING
        if not isinstance(resolved, SimpleType):
            raise DuisSchemaError(f"attribute {node.get('name')} has a complex type")
        return Attribute(node.get("name", ""), resolved, required)


def _occurs(node: etree._Element) -> tuple[int, int | None]:
    maximum = node.get("maxOccurs", "1")
    return int(node.get("minOccurs", "1")), UNBOUNDED if maximum == "unbounded" else int(maximum)


def _merge_attributes(base: tuple[Attribute, ...], own: tuple[Attribute, ...]) -> tuple[Attribute, ...]:
    names = {a.name for a in own}
    return tuple(a for a in base if a.name not in names) + own


def _child(complex_type: ComplexType, name: str) -> Element | None:
    """The element particle ``name`` anywhere in a content model (not descending into child types)."""
    stack: list[Particle] = [] if complex_type.content is None else [complex_type.content]
    while stack:
        particle = stack.pop()
        if isinstance(particle, Element) and particle.name == name:
            return particle
        if isinstance(particle, Group):
            stack.extend(reversed(particle.items))
    return None


@functools.lru_cache(maxsize=8)
def _load(directory: Path) -> XsdModel:
    return XsdModel(load_schema(directory).documents)


def load_model(xsd_dir: str | os.PathLike) -> XsdModel:
    """The (cached) model of the DUIS XSD in ``xsd_dir`` (see :func:`proving.duis.schema.load_schema`)."""
    return _load(Path(xsd_dir).resolve())
