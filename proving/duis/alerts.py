"""Device Alerts and DCC Alerts: dataclasses and their ``sr:DeviceAlertMessage`` / ``sr:DCCAlertMessage`` XML.

Element order follows the XSD: AlertCode (or DCCAlertCode), ThrottledAlertSequenceId?,
ThrottledAlertCount?, then GBCSPayload (or DCCAlert).  The throttling fields are only written
when set (SECMP0062: they mark the first alert delivered after suppression).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .errors import DuisParseError
from .namespaces import sr
from .request_id import RequestId
from .xmlio import decode_b64, describe, encode_b64, normalise_hex, optional_text, parse_int, require, text_of

_BREACH_ELEMENTS = {
    "User": "ADUserThresholdBreach",
    "DCC": "ADDCCThresholdBreach",
    "AttributeLimits": "ADAttributeLimitsBreach",
}
QUARANTINE_BREACHES = tuple(_BREACH_ELEMENTS)
"""``QuarantinedRequest`` kinds, one per XSD choice (``AD<kind>...Breach``)."""


@dataclass(frozen=True)
class DeviceAlert:
    """``DeviceAlertMessage``: a device's own GBCS alert forwarded by the DCC."""

    alert_code: str
    gbcs_payload: bytes
    throttled_sequence_id: int | None = None
    throttled_count: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "alert_code", normalise_hex(self.alert_code, "AlertCode"))


@dataclass(frozen=True)
class UpdateHANDeviceLogResult:
    """DCC Alert body (code N24): the outcome of SRV 8.11 for the original request."""

    request_id: RequestId


@dataclass(frozen=True)
class QuarantinedRequest:
    """DCC Alert body: a request held by anomaly detection (SEC G6)."""

    request_id: RequestId
    quarantine_event_ref: int
    breach: str = "User"

    def __post_init__(self) -> None:
        if self.breach not in QUARANTINE_BREACHES:
            raise ValueError(f"breach must be one of {QUARANTINE_BREACHES}, got {self.breach!r}")


@dataclass(frozen=True)
class RawDCCAlert:
    """Any other ``DCCAlert`` choice, kept as exclusive-C14N XML of its element."""

    xml: bytes

    @classmethod
    def of(cls, element: etree._Element) -> RawDCCAlert:
        """Wrap an element (e.g. ``sr:PowerOutageEvent``)."""
        return cls(etree.tostring(element, method="c14n", exclusive=True))


DCCAlertBody = UpdateHANDeviceLogResult | QuarantinedRequest | RawDCCAlert


@dataclass(frozen=True)
class DCCAlert:
    """``DCCAlertMessage``: an alert raised by the DCC itself (code AD1, N1..N65 or N999)."""

    code: str
    alert: DCCAlertBody
    throttled_sequence_id: int | None = None
    throttled_count: int | None = None


def _throttling(parent: etree._Element, sequence_id: int | None, count: int | None) -> None:
    if sequence_id is not None:
        etree.SubElement(parent, sr("ThrottledAlertSequenceId")).text = str(sequence_id)
    if count is not None:
        etree.SubElement(parent, sr("ThrottledAlertCount")).text = str(count)


def _parse_throttling(parent: etree._Element) -> tuple[int | None, int | None]:
    seq = optional_text(parent, sr("ThrottledAlertSequenceId"))
    count = optional_text(parent, sr("ThrottledAlertCount"))
    return (
        None if seq is None else parse_int(seq, "ThrottledAlertSequenceId"),
        None if count is None else parse_int(count, "ThrottledAlertCount"),
    )


def device_alert_element(alert: DeviceAlert) -> etree._Element:
    """``sr:DeviceAlertMessage`` for ``alert``."""
    element = etree.Element(sr("DeviceAlertMessage"))
    etree.SubElement(element, sr("AlertCode")).text = alert.alert_code
    _throttling(element, alert.throttled_sequence_id, alert.throttled_count)
    etree.SubElement(element, sr("GBCSPayload")).text = encode_b64(alert.gbcs_payload)
    return element


def parse_device_alert(element: etree._Element) -> DeviceAlert:
    """The :class:`DeviceAlert` in an ``sr:DeviceAlertMessage``."""
    seq, count = _parse_throttling(element)
    try:
        code = normalise_hex(text_of(element, sr("AlertCode")), "AlertCode")
    except ValueError as exc:
        raise DuisParseError(str(exc), element.sourceline) from None
    payload = decode_b64(text_of(element, sr("GBCSPayload")), "DeviceAlertMessage/GBCSPayload")
    return DeviceAlert(code, payload, seq, count)


def _breach_tag(breach: str) -> str:
    return sr(_BREACH_ELEMENTS[breach])


def _dcc_alert_body(body: DCCAlertBody) -> etree._Element:
    if isinstance(body, UpdateHANDeviceLogResult):
        element = etree.Element(sr("UpdateHANDeviceLogResult"))
        etree.SubElement(element, sr("UpdateHANDeviceLogServiceRequestID")).text = str(body.request_id)
        return element
    if isinstance(body, QuarantinedRequest):
        element = etree.Element(sr("QuarantinedRequest"))
        breach = etree.SubElement(element, _breach_tag(body.breach))
        etree.SubElement(breach, sr("RequestID")).text = str(body.request_id)
        etree.SubElement(breach, sr("QuarantineEventRef")).text = str(body.quarantine_event_ref)
        return element
    return etree.fromstring(body.xml)


def dcc_alert_element(alert: DCCAlert) -> etree._Element:
    """``sr:DCCAlertMessage`` for ``alert``."""
    element = etree.Element(sr("DCCAlertMessage"))
    etree.SubElement(element, sr("DCCAlertCode")).text = alert.code
    _throttling(element, alert.throttled_sequence_id, alert.throttled_count)
    etree.SubElement(element, sr("DCCAlert")).append(_dcc_alert_body(alert.alert))
    return element


def _parse_dcc_alert_body(element: etree._Element) -> DCCAlertBody:
    if element.tag == sr("UpdateHANDeviceLogResult"):
        return UpdateHANDeviceLogResult(RequestId.parse(text_of(element, sr("UpdateHANDeviceLogServiceRequestID"))))
    if element.tag == sr("QuarantinedRequest"):
        for breach in QUARANTINE_BREACHES:
            node = element.find(_breach_tag(breach))
            if node is not None:
                ref = parse_int(text_of(node, sr("QuarantineEventRef")), "QuarantineEventRef")
                return QuarantinedRequest(RequestId.parse(text_of(node, sr("RequestID"))), ref, breach)
        raise DuisParseError(f"{describe(element)} has no AD*Breach child", element.sourceline)
    return RawDCCAlert.of(element)


def parse_dcc_alert(element: etree._Element) -> DCCAlert:
    """The :class:`DCCAlert` in an ``sr:DCCAlertMessage``."""
    seq, count = _parse_throttling(element)
    holder = require(element, sr("DCCAlert"))
    children = [c for c in holder if isinstance(c.tag, str)]
    if len(children) != 1:
        raise DuisParseError(f"sr:DCCAlert must hold exactly one element, found {len(children)}", holder.sourceline)
    return DCCAlert(text_of(element, sr("DCCAlertCode")), _parse_dcc_alert_body(children[0]), seq, count)
