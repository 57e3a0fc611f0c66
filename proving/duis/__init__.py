"""DUIS 5.4 XML layer: schema validation, request/response/alert codecs and XML-DSig.

One job per module: :mod:`.schema` (XSD), :mod:`.request_id`, :mod:`.request`, :mod:`.response`,
:mod:`.alerts`, :mod:`.signing` (signxml), :mod:`.keys` (keys, certificates, store),
:mod:`.xmlio` (safe parsing), :mod:`.errors`, :mod:`.namespaces`.
"""

from __future__ import annotations

from .alerts import (
    QUARANTINE_BREACHES,
    DCCAlert,
    DeviceAlert,
    QuarantinedRequest,
    RawDCCAlert,
    UpdateHANDeviceLogResult,
)
from .errors import DuisError, DuisParseError, DuisSchemaError, DuisValidationError, SignatureError
from .keys import (
    DSP_XML_SIGN_ROLE,
    XML_SIGN_ROLE,
    CertStore,
    entity_id,
    load_certificate,
    load_private_key,
    role_code,
)
from .request import DuisRequest, build_request, parse_request, readdress, service_reference_of
from .request_id import RequestId, normalise_eui
from .response import (
    ACKNOWLEDGED,
    SUCCESS,
    DuisResponse,
    FutureDatedAlert,
    ResponseMessage,
    acknowledgement,
    build_response,
    dcc_alert,
    device_alert,
    device_response,
    error_response,
    future_dated_response,
    parse_response,
)
from .schema import DUIS_XSD, MMC_XSD, DuisSchema, load_schema
from .signing import VerifiedSignature, resign, sign, sign_response, strip_signature, verify
from .xmlio import parse_xml, to_bytes

__all__ = [
    "ACKNOWLEDGED",
    "DSP_XML_SIGN_ROLE",
    "DUIS_XSD",
    "MMC_XSD",
    "QUARANTINE_BREACHES",
    "SUCCESS",
    "XML_SIGN_ROLE",
    "CertStore",
    "DCCAlert",
    "DeviceAlert",
    "DuisError",
    "DuisParseError",
    "DuisRequest",
    "DuisResponse",
    "DuisSchema",
    "DuisSchemaError",
    "DuisValidationError",
    "FutureDatedAlert",
    "QuarantinedRequest",
    "RawDCCAlert",
    "RequestId",
    "ResponseMessage",
    "SignatureError",
    "UpdateHANDeviceLogResult",
    "VerifiedSignature",
    "acknowledgement",
    "build_request",
    "build_response",
    "dcc_alert",
    "device_alert",
    "device_response",
    "entity_id",
    "error_response",
    "future_dated_response",
    "load_certificate",
    "load_private_key",
    "load_schema",
    "normalise_eui",
    "parse_request",
    "parse_response",
    "parse_xml",
    "readdress",
    "resign",
    "role_code",
    "service_reference_of",
    "sign",
    "sign_response",
    "strip_signature",
    "to_bytes",
    "verify",
]
