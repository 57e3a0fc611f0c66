"""DUIS ``sr:Request``: parse into :class:`DuisRequest`, build back to XML, re-address."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from .errors import DuisParseError
from .namespaces import DUIS_NSMAP, SR, ds, sr
from .request_id import RequestId
from .xmlio import (
    XmlSource,
    envelope,
    format_datetime,
    optional_text,
    parse_datetime,
    parse_int,
    text_of,
)

DEFAULT_SCHEMA_VERSION = "5.4"


def service_reference_of(srv: str) -> str:
    """The ServiceReference of a ServiceReferenceVariant: its first two components (``8.14.1`` -> ``8.14``)."""
    return ".".join(srv.split(".")[:2])


@dataclass(frozen=True, eq=False)
class DuisRequest:
    """The content of one DUIS Request.  ``body`` is the single SRV element inside ``sr:Body``."""

    request_id: RequestId
    command_variant: int
    service_reference_variant: str
    body: etree._Element = field(repr=False)
    service_reference: str = ""
    first_in_sequence: bool | None = None
    preceding_request_id: RequestId | None = None
    schema_version: str = DEFAULT_SCHEMA_VERSION
    signature: etree._Element | None = field(default=None, repr=False)
    """The ``ds:Signature`` the request was parsed with (None when built or unsigned)."""

    def __post_init__(self) -> None:
        if not self.service_reference:
            object.__setattr__(self, "service_reference", service_reference_of(self.service_reference_variant))

    @property
    def srv(self) -> str:
        """Short name for :attr:`service_reference_variant`."""
        return self.service_reference_variant

    @property
    def body_name(self) -> str:
        """Local name of the body element, e.g. ``TopUpDevice``."""
        return etree.QName(self.body).localname

    @property
    def execution_datetime(self) -> datetime | None:
        """The body's ``sr:ExecutionDateTime`` (future-dated requests), or None."""
        text = optional_text(self.body, sr("ExecutionDateTime"))
        return None if text is None else parse_datetime(text, "ExecutionDateTime")

    def _key(self) -> tuple:
        body = etree.tostring(self.body, method="c14n", exclusive=True)
        return (self.request_id, self.command_variant, self.service_reference_variant, self.service_reference,
                self.first_in_sequence, self.preceding_request_id, self.schema_version, body)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DuisRequest) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable body element

    def to_xml(self) -> etree._Element:
        """The unsigned ``sr:Request`` (see :func:`build_request`)."""
        return build_request(
            self.request_id,
            self.service_reference_variant,
            self.command_variant,
            self.body,
            service_reference=self.service_reference,
            first_in_sequence=self.first_in_sequence,
            preceding_request_id=self.preceding_request_id,
            schema_version=self.schema_version,
        )


def build_request(
    request_id: RequestId,
    srv: str,
    command_variant: int,
    body: etree._Element,
    *,
    service_reference: str | None = None,
    execution_datetime: datetime | None = None,
    first_in_sequence: bool | None = None,
    preceding_request_id: RequestId | None = None,
    schema_version: str = DEFAULT_SCHEMA_VERSION,
) -> etree._Element:
    """An unsigned ``sr:Request`` root, header elements in XSD order; ``body`` is deep-copied.

    ``execution_datetime`` sets (or inserts as first child) the body's ``sr:ExecutionDateTime``;
    sign the result with :func:`proving.duis.signing.sign`.
    """
    if etree.QName(body).namespace != SR:
        raise ValueError(f"body element {body.tag!r} is not in the {SR} namespace")
    root = etree.Element(sr("Request"), nsmap=DUIS_NSMAP)
    root.set("schemaVersion", schema_version)
    header = etree.SubElement(root, sr("Header"))
    etree.SubElement(header, sr("RequestID")).text = str(request_id)
    if first_in_sequence is not None:
        etree.SubElement(header, sr("FirstInSequence")).text = "true" if first_in_sequence else "false"
    if preceding_request_id is not None:
        etree.SubElement(header, sr("PrecedingServiceRequestID")).text = str(preceding_request_id)
    etree.SubElement(header, sr("CommandVariant")).text = str(command_variant)
    etree.SubElement(header, sr("ServiceReference")).text = service_reference or service_reference_of(srv)
    etree.SubElement(header, sr("ServiceReferenceVariant")).text = srv
    body_copy = copy.deepcopy(body)
    body_copy.tail = None
    if execution_datetime is not None:
        _set_execution_datetime(body_copy, execution_datetime)
    etree.SubElement(root, sr("Body")).append(body_copy)
    etree.cleanup_namespaces(root, keep_ns_prefixes=list(DUIS_NSMAP))
    return root


def _set_execution_datetime(body: etree._Element, when: datetime) -> None:
    node = body.find(sr("ExecutionDateTime"))
    if node is None:
        node = etree.Element(sr("ExecutionDateTime"))
        body.insert(0, node)
    node.text = format_datetime(when)


def _parse_bool(text: str, where: str) -> bool:
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise DuisParseError(f"{where}: {text!r} is not an xs:boolean")


def parse_request(source: XmlSource) -> DuisRequest:
    """Parse a DUIS Request; raises :class:`DuisParseError` for malformed XML or a missing header part.

    Only the structure this module needs is checked; validate against the XSD for the rest.
    """
    root, header, body = envelope(source, sr("Request"))
    first = optional_text(header, sr("FirstInSequence"))
    preceding = optional_text(header, sr("PrecedingServiceRequestID"))
    return DuisRequest(
        request_id=RequestId.parse(text_of(header, sr("RequestID"))),
        command_variant=parse_int(text_of(header, sr("CommandVariant")), "CommandVariant"),
        service_reference_variant=text_of(header, sr("ServiceReferenceVariant")),
        body=body,
        service_reference=text_of(header, sr("ServiceReference")),
        first_in_sequence=None if first is None else _parse_bool(first, "FirstInSequence"),
        preceding_request_id=None if preceding is None else RequestId.parse(preceding),
        schema_version=root.get("schemaVersion", DEFAULT_SCHEMA_VERSION),
        signature=root.find(ds("Signature")),
    )


def readdress(
    request: DuisRequest,
    *,
    originator: str | bytes | int | None = None,
    target: str | bytes | int | None = None,
    counter: int | None = None,
) -> DuisRequest:
    """A copy of ``request`` with a new originator, target and/or counter, and no signature."""
    old = request.request_id
    new_id = RequestId(
        old.originator if originator is None else originator,  # type: ignore[arg-type]  # normalised by RequestId
        old.target if target is None else target,  # type: ignore[arg-type]
        old.counter if counter is None else counter,
    )
    return dataclasses.replace(request, request_id=new_id, signature=None)
