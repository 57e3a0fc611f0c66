"""Helpers shared by the CS, CCS and DBCH transforms (cs_*.py).

What a DUIS body does not carry comes from the context: the GBCS command counter
(``ctx.counter``), the User (``ctx.originator``) and, in ``ctx.extra``, what the DCC holds
in its inventory (:data:`EXTRA_KEYS`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from lxml import etree

from emulator.testkit import access_request
from gbcs.asn1.codec import encode_asn1
from gbcs.dlms.cosem import parse_obis
from gbcs.errors import EncodeError
from gbcs.other_information import OtherInformation, encode_other_information

from .registry import TransformContext, Transformed, TransformError
from .xml_values import date_time, element, elements, hex_bytes, text

# ctx.extra keys the CS transforms read (the DCC's inventory and bookkeeping)
EXTRA_KEYS = {
    "request_counter": "the User's DUIS request counter: the Supplementary Remote Party counter of "
                       "commands the ACB sends on the User's behalf (default: ctx.counter)",
    "other_device_type": "DUIS device type of the OtherDeviceID of a CS03 join (ESME, GSME, CHF, GPF, "
                         "HCALCS, PPMID, IHD, CAD)",
    "other_device_certificate": "DER of the other device's certificate for a CS03C join (SMKI)",
    "device_type": "DUIS device type of the DeviceID of a CCS01 add (ESME, GSME, HCALCS, PPMID, IHD, CAD, GPF)",
    "chf_device_logs": "{old CHF EUI: DeviceLogBackup} for CCS03, the DCC's copy of each CHF device log",
}

ROLES = {"Root": 0, "Recovery": 1, "Supplier": 2, "NetworkOperator": 3, "ACB": 4, "TransCoS": 5,
         "LoadController": 8}
ROLE_SUPPLIER, ROLE_NETWORK_OPERATOR, ROLE_ACB, ROLE_TRANSITIONAL_COS, ROLE_LOAD_CONTROLLER = 2, 3, 4, 5, 8
# X.509 KeyUsage bits as GBCS carries them (DER: trailing zero bits removed)
DIGITAL_SIGNATURE = {"hex": "80", "bits": 1}
KEY_AGREEMENT = {"hex": "08", "bits": 5}
CREDENTIAL_TYPES = {"Digital Signature": DIGITAL_SIGNATURE, "Key Agreement": KEY_AGREEMENT}
PREPAYMENT_TOP_UP_CELL = 1  # CellUsage prePaymentTopUp
NEVER = "99991231235959Z"  # GBCS execution date-time that cancels a stored future-dated command
CANCELLATION_YEAR = 3000  # DUIS cancels a future-dated request with an ExecutionDateTime in 3000 or later
ZIGBEE_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DeviceLogBackup:
    """The DCC's copy of a CHF device log: its extended PAN id and (device EUI, key) entries."""

    pan_id: bytes
    devices: tuple[tuple[bytes, bytes], ...]


def result(ctx: TransformContext, payload_type: str, payload: bytes, *, message_code: int | None = None,
           use_case: str | None = None, other_information: bytes | None = None) -> Transformed:
    """The Transformed for ``ctx`` (message code and use case default to the context's)."""
    return Transformed(use_case or ctx.use_case, ctx.message_code if message_code is None else message_code,
                       payload_type, payload, other_information)


def asn1(ctx: TransformContext, asn1_type: str, value: Any, **kwargs: Any) -> Transformed:
    """An ASN.1 DER payload of ``asn1_type``."""
    try:
        payload = encode_asn1({"asn1_type": asn1_type, "value": value})
    except EncodeError as error:
        raise TransformError(ctx.use_case, f"{asn1_type}: {error}") from None
    return result(ctx, "asn1", payload, **kwargs)


def dlms(ctx: TransformContext, instructions: Sequence[tuple[Any, ...]], **kwargs: Any) -> Transformed:
    """A DLMS access-request; instructions are (kind, class id, OBIS text, member, data[, selector, params])."""
    converted = [(item[0], item[1], parse_obis(item[2]), *item[3:]) for item in instructions]
    return result(ctx, "dlms", access_request(ctx.counter, converted), **kwargs)


def node(kind: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    """An A-XDR data node."""
    out: dict[str, Any] = {"type": kind, **extra}
    if kind != "null":
        out["value"] = value
    return out


def supplementary_remote_party(ctx: TransformContext, message_code: int | None = None) -> bytes:
    """Other-information of a command the ACB sends for the User: code, SRP (the User), SRP counter."""
    counter = int(ctx.extra.get("request_counter", ctx.counter))
    code = ctx.message_code if message_code is None else message_code
    return encode_other_information(OtherInformation(code, ctx.originator, counter))


def eui(body: etree._Element, path: str, use_case: str) -> bytes:
    """An EUI-64 element (8 hyphen-separated octets)."""
    return hex_bytes(body, path, use_case, length=8)  # type: ignore[return-value]


def _der(value: str, path: str, use_case: str) -> bytes:
    try:
        der = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise TransformError(use_case, f"{path}: not base64") from None
    try:
        x509.load_der_x509_certificate(der)
    except ValueError:
        raise TransformError(use_case, f"{path}: not a DER X.509 certificate") from None
    return der


def certificate(parent: etree._Element, path: str, use_case: str, required: bool = True) -> bytes | None:
    """A base64 (xs:base64Binary) certificate element as DER; checked to start a DER SEQUENCE."""
    value = text(parent, path, use_case, required)
    return None if value is None else _der(value, path, use_case)


def certificates(parent: etree._Element, path: str, use_case: str) -> list[bytes]:
    """Every certificate at ``path`` (at least one)."""
    found = elements(parent, path)
    if not found:
        raise TransformError(use_case, f"missing element {path}")
    return [_der(item.text or "", path, use_case) for item in found]


def role(value: str | None, path: str, use_case: str) -> int:
    """A DUIS RemotePartyRole as the GBCS RemotePartyRole number."""
    if value not in ROLES:
        raise TransformError(use_case, f"{path}: {value!r} is not a RemotePartyRole")
    return ROLES[value]


def credential_type(body: etree._Element, use_case: str) -> dict[str, Any]:
    """The KeyUsage of a CredentialType element ('Digital Signature' or 'Key Agreement')."""
    value = text(body, "CredentialType", use_case)
    if value not in CREDENTIAL_TYPES:
        raise TransformError(use_case, f"CredentialType: {value!r} is not a credential type")
    return dict(CREDENTIAL_TYPES[value])


def cell(role_number: int, key_usage: dict[str, Any], top_up: bool = False) -> dict[str, Any]:
    """A TrustAnchorCellIdentifier tree."""
    tree: dict[str, Any] = {"remotePartyRole": role_number, "keyUsage": dict(key_usage)}
    if top_up:
        tree["cellUsage"] = PREPAYMENT_TOP_UP_CELL
    return tree


def execution_time(body: etree._Element, ctx: TransformContext) -> datetime | None:
    """The request's ExecutionDateTime (body first, then the context), None when immediate."""
    when = date_time(body, "ExecutionDateTime", ctx.use_case, required=False)
    return when if when is not None else ctx.execution_datetime


def generalized_time(when: datetime) -> str:
    """GBCS GeneralizedTime text; a DUIS cancellation date (year 3000+) becomes the 'never' time."""
    if when.year >= CANCELLATION_YEAR:
        return NEVER
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def zigbee_time(when: datetime) -> int:
    """Seconds since 2000-01-01 UTC (ZigBee UTCTime, also used by the CHF's DLMS logs)."""
    seconds = int((when - ZIGBEE_EPOCH).total_seconds())
    if not 0 <= seconds < 1 << 32:
        raise ValueError(f"{when} is outside the ZigBee UTC time range")
    return seconds


def log_period(body: etree._Element, path: str, use_case: str) -> tuple[int, int]:
    """(start, end) of a ReadLogPeriod as ZigBee UTC times; the start must not be after the end."""
    period = element(body, path, use_case)
    start = date_time(period, "StartDateTime", use_case)
    end = date_time(period, "EndDateTime", use_case)
    assert start is not None and end is not None
    if start > end:
        raise TransformError(use_case, f"{path}: StartDateTime is after EndDateTime")
    try:
        return zigbee_time(start), zigbee_time(end)
    except ValueError as error:
        raise TransformError(use_case, f"{path}: {error}") from None


def extra(ctx: TransformContext, key: str) -> Any:
    """A required ``ctx.extra`` entry (see :data:`EXTRA_KEYS`)."""
    if key not in ctx.extra:
        raise TransformError(ctx.use_case, f"the context lacks {key!r}: {EXTRA_KEYS[key]}")
    return ctx.extra[key]
