"""DUIS ``sr:Response`` (responses, acknowledgements, Device and DCC Alerts): build, parse, shortcuts.

Header order per the XSD: RequestID?, ResponseID?, ResponseCode, ResponseDateTime; the Body holds
exactly one of ResponseMessage, DeviceAlertMessage or DCCAlertMessage (SMETS1 responses are out
of scope).  Sign the built document with the DCC's dspXmlSign key (:func:`proving.duis.signing.sign`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from .alerts import DCCAlert, DeviceAlert, dcc_alert_element, device_alert_element, parse_dcc_alert, parse_device_alert
from .errors import DuisParseError
from .namespaces import DUIS_NSMAP, ds, sr
from .request import DEFAULT_SCHEMA_VERSION, service_reference_of
from .request_id import RequestId
from .xmlio import (
    XmlSource,
    decode_b64,
    describe,
    encode_b64,
    envelope,
    format_datetime,
    normalise_hex,
    optional_text,
    parse_datetime,
    parse_int,
    text_of,
)

SUCCESS = "I0"
ACKNOWLEDGED = "I99"


@dataclass(frozen=True)
class FutureDatedAlert:
    """``FutureDatedDeviceAlertMessage``: the per-instruction outcome (8F66 success / 8F67 failure)."""

    alert_code: str
    gbcs_payload: bytes
    instruction_number: int
    total_command_instructions: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "alert_code", normalise_hex(self.alert_code, "FutureDatedAlertCode"))


@dataclass(frozen=True)
class ResponseMessage:
    """``ResponseMessage``: SR and SRV plus at most one payload.

    ``gbcs_payload`` and ``future_dated_alert`` cover device responses; any other choice (PreCommand,
    DSPInventory, ...) is kept in ``other_xml`` as exclusive-C14N XML of its element.
    """

    service_reference_variant: str
    gbcs_payload: bytes | None = None
    future_dated_alert: FutureDatedAlert | None = None
    other_xml: bytes | None = None
    service_reference: str = ""

    def __post_init__(self) -> None:
        if not self.service_reference:
            object.__setattr__(self, "service_reference", service_reference_of(self.service_reference_variant))
        payloads = [p for p in (self.gbcs_payload, self.future_dated_alert, self.other_xml) if p is not None]
        if len(payloads) > 1:
            raise ValueError("a ResponseMessage carries at most one payload")


ResponseBody = ResponseMessage | DeviceAlert | DCCAlert


@dataclass(frozen=True)
class DuisResponse:
    """One DUIS Response or Alert."""

    response_code: str
    response_datetime: datetime
    body: ResponseBody
    request_id: RequestId | None = None
    response_id: RequestId | None = None
    schema_version: str = DEFAULT_SCHEMA_VERSION
    signature: etree._Element | None = field(default=None, repr=False, compare=False)
    """The ``ds:Signature`` the response was parsed with (None when built or unsigned)."""

    def to_xml(self) -> etree._Element:
        """The unsigned ``sr:Response`` (see :func:`build_response`)."""
        return build_response(self)


def _response_message_element(message: ResponseMessage) -> etree._Element:
    element = etree.Element(sr("ResponseMessage"))
    etree.SubElement(element, sr("ServiceReference")).text = message.service_reference
    etree.SubElement(element, sr("ServiceReferenceVariant")).text = message.service_reference_variant
    if message.gbcs_payload is not None:
        etree.SubElement(element, sr("GBCSPayload")).text = encode_b64(message.gbcs_payload)
    elif message.future_dated_alert is not None:
        alert = message.future_dated_alert
        node = etree.SubElement(element, sr("FutureDatedDeviceAlertMessage"))
        etree.SubElement(node, sr("FutureDatedAlertCode")).text = alert.alert_code
        etree.SubElement(node, sr("GBCSPayload")).text = encode_b64(alert.gbcs_payload)
        etree.SubElement(node, sr("InstructionNumber")).text = str(alert.instruction_number)
        etree.SubElement(node, sr("TotalCommandInstructions")).text = str(alert.total_command_instructions)
    elif message.other_xml is not None:
        element.append(etree.fromstring(message.other_xml))
    return element


def build_response(response: DuisResponse) -> etree._Element:
    """An unsigned ``sr:Response`` root for ``response``, elements in XSD order."""
    body = response.body
    if type(body) is ResponseMessage and body.future_dated_alert is None and body.other_xml is None:
        return _from_skeleton(response, body)
    return _build_response(response)


def placeholder_response(shape: tuple[bool, bool, bool]) -> DuisResponse:
    """A ResponseMessage response of one shape (RequestID?, ResponseID?, GBCS payload?) with placeholder texts."""
    placeholder = RequestId("00-00-00-00-00-00-00-00", "00-00-00-00-00-00-00-00", 0)
    return DuisResponse("I0", datetime(2000, 1, 1, tzinfo=UTC),
                        ResponseMessage("0.0", gbcs_payload=b"\x00" if shape[2] else None, service_reference="0"),
                        placeholder if shape[0] else None, placeholder if shape[1] else None)


def _from_skeleton(response: DuisResponse, body: ResponseMessage) -> etree._Element:
    """The common case (a ResponseMessage with a GBCS payload or none): a copy of a cached skeleton
    built by :func:`_build_response` itself, with the texts filled in; the same tree, built faster."""
    shape = (response.request_id is not None, response.response_id is not None, body.gbcs_payload is not None)
    skeleton = _skeletons.get(shape)
    if skeleton is None:
        skeleton = _skeletons[shape] = _build_response(placeholder_response(shape))
    root = skeleton.__deepcopy__(None)
    root.set("schemaVersion", response.schema_version)
    header = iter(root[0])
    if response.request_id is not None:
        next(header).text = str(response.request_id)
    if response.response_id is not None:
        next(header).text = str(response.response_id)
    next(header).text = response.response_code
    next(header).text = format_datetime(response.response_datetime)
    message = root[1][0]
    message[0].text = body.service_reference
    message[1].text = body.service_reference_variant
    if body.gbcs_payload is not None:
        message[2].text = encode_b64(body.gbcs_payload)
    return root


_skeletons: dict[tuple[bool, bool, bool], etree._Element] = {}


def _build_response(response: DuisResponse) -> etree._Element:
    """:func:`build_response` element by element."""
    root = etree.Element(sr("Response"), nsmap=DUIS_NSMAP)
    root.set("schemaVersion", response.schema_version)
    header = etree.SubElement(root, sr("Header"))
    if response.request_id is not None:
        etree.SubElement(header, sr("RequestID")).text = str(response.request_id)
    if response.response_id is not None:
        etree.SubElement(header, sr("ResponseID")).text = str(response.response_id)
    etree.SubElement(header, sr("ResponseCode")).text = response.response_code
    etree.SubElement(header, sr("ResponseDateTime")).text = format_datetime(response.response_datetime)
    body = etree.SubElement(root, sr("Body"))
    if isinstance(response.body, ResponseMessage):
        body.append(_response_message_element(response.body))
    elif isinstance(response.body, DeviceAlert):
        body.append(device_alert_element(response.body))
    elif isinstance(response.body, DCCAlert):
        body.append(dcc_alert_element(response.body))
    else:
        raise TypeError(f"unsupported response body {type(response.body).__name__}")
    etree.cleanup_namespaces(root, keep_ns_prefixes=list(DUIS_NSMAP))
    return root


def _parse_response_message(element: etree._Element) -> ResponseMessage:
    srv = text_of(element, sr("ServiceReferenceVariant"))
    reference = text_of(element, sr("ServiceReference"))
    payload = [c for c in element if isinstance(c.tag, str)][2:]
    if not payload:
        return ResponseMessage(srv, service_reference=reference)
    node = payload[0]
    if node.tag == sr("GBCSPayload"):
        payload_bytes = decode_b64(node.text or "", "GBCSPayload")
        return ResponseMessage(srv, gbcs_payload=payload_bytes, service_reference=reference)
    if node.tag == sr("FutureDatedDeviceAlertMessage"):
        alert = FutureDatedAlert(
            text_of(node, sr("FutureDatedAlertCode")),
            decode_b64(text_of(node, sr("GBCSPayload")), "FutureDatedDeviceAlertMessage/GBCSPayload"),
            parse_int(text_of(node, sr("InstructionNumber")), "InstructionNumber"),
            parse_int(text_of(node, sr("TotalCommandInstructions")), "TotalCommandInstructions"),
        )
        return ResponseMessage(srv, future_dated_alert=alert, service_reference=reference)
    other = etree.tostring(node, method="c14n", exclusive=True)
    return ResponseMessage(srv, other_xml=other, service_reference=reference)


def parse_response(source: XmlSource) -> DuisResponse:
    """Parse a DUIS Response or Alert; raises :class:`DuisParseError` for malformed XML or structure."""
    root, header, node = envelope(source, sr("Response"))
    body: ResponseBody
    if node.tag == sr("ResponseMessage"):
        body = _parse_response_message(node)
    elif node.tag == sr("DeviceAlertMessage"):
        body = parse_device_alert(node)
    elif node.tag == sr("DCCAlertMessage"):
        body = parse_dcc_alert(node)
    else:
        raise DuisParseError(f"unsupported response body {describe(node)}", node.sourceline)
    request_id = optional_text(header, sr("RequestID"))
    response_id = optional_text(header, sr("ResponseID"))
    return DuisResponse(
        response_code=text_of(header, sr("ResponseCode")),
        response_datetime=parse_datetime(text_of(header, sr("ResponseDateTime")), "ResponseDateTime"),
        body=body,
        request_id=None if request_id is None else RequestId.parse(request_id),
        response_id=None if response_id is None else RequestId.parse(response_id),
        schema_version=root.get("schemaVersion", DEFAULT_SCHEMA_VERSION),
        signature=root.find(ds("Signature")),
    )


def _now(at: datetime | None) -> datetime:
    return at if at is not None else datetime.now(UTC)


def acknowledgement(request_id: RequestId, srv: str, *, at: datetime | None = None) -> DuisResponse:
    """I99: the request passed access control and was accepted (or a body-less non-device success)."""
    return DuisResponse(ACKNOWLEDGED, _now(at), ResponseMessage(srv), request_id=request_id)


def error_response(request_id: RequestId, srv: str, code: str, *, at: datetime | None = None) -> DuisResponse:
    """An E-code (or W-code) response to ``request_id``, with no payload."""
    if code[:1] not in ("E", "W"):
        raise ValueError(f"{code!r} is not an error or warning response code")
    return DuisResponse(code, _now(at), ResponseMessage(srv), request_id=request_id)


def device_response(
    request_id: RequestId,
    srv: str,
    gbcs_payload: bytes,
    *,
    at: datetime | None = None,
) -> DuisResponse:
    """I0 carrying the device's GBCS response; ResponseID is the RequestID with the EUIs swapped."""
    return DuisResponse(
        SUCCESS, _now(at), ResponseMessage(srv, gbcs_payload=gbcs_payload), request_id, request_id.swapped()
    )


def future_dated_response(
    request_id: RequestId,
    srv: str,
    alert: FutureDatedAlert,
    *,
    at: datetime | None = None,
) -> DuisResponse:
    """I0 carrying one instruction's 8F66/8F67 outcome of a device-future-dated command."""
    return DuisResponse(
        SUCCESS, _now(at), ResponseMessage(srv, future_dated_alert=alert), request_id, request_id.swapped()
    )


def device_alert(
    response_id: RequestId,
    alert: DeviceAlert,
    *,
    at: datetime | None = None,
) -> DuisResponse:
    """A Device Alert (``response_id`` = device:user:counter)."""
    return DuisResponse(SUCCESS, _now(at), alert, response_id=response_id)


def dcc_alert(
    alert: DCCAlert,
    *,
    response_id: RequestId | None = None,
    request_id: RequestId | None = None,
    at: datetime | None = None,
) -> DuisResponse:
    """A DCC Alert, e.g. N24 with :class:`~proving.duis.alerts.UpdateHANDeviceLogResult`."""
    return DuisResponse(SUCCESS, _now(at), alert, request_id=request_id, response_id=response_id)
