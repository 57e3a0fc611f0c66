"""Which GBCS use case serves a Service Request, and what a device's alert is to DUIS.

* :func:`use_case_for`: the SRV's use case for the target device type, among those that have
  a transform (e.g. SRV 4.1.1 -> ECS17b for an ESME, GCS13a for a GSME).
* :func:`classify_alert`: a device alert's code, and whether it reports the outcome of a
  future-dated instruction (0x8F66 success / 0x8F67 failure), which DUIS carries as a
  ``FutureDatedDeviceAlertMessage`` in a Response rather than as a Device Alert.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.catalogue import use_case as use_case_row
from gbcs.message import decode_message

from .catalogue import Srv
from .transform import registered_use_cases

FUTURE_DATED_OUTCOMES = frozenset({0x8F66, 0x8F67})
# DUIS device types as the emulator's use-case table names device kinds
KIND_OF_DEVICE_TYPE = {"ESME": ("ESME", "SAPC"), "GSME": ("GSME",), "CHF": ("CHF",), "GPF": ("GPF",),
                       "PPMID": ("PPMID",), "HCALCS": ("HCALCS",), "IHD": ("PPMID",), "CAD": ("PPMID",)}


def use_cases_for(srv: Srv, device_type: str) -> list[tuple[str, int]]:
    """Every ``(use case, message code)`` of ``srv`` for a device of ``device_type``, transformable ones first.

    Several use cases can serve one SRV and device type (SRV 6.13 reads the event log with
    CS10a and the security log with CS10b): the body decides, so the caller tries them in turn.
    """
    kinds = set(KIND_OF_DEVICE_TYPE.get(device_type, (device_type,)))
    available = registered_use_cases()
    found: list[tuple[str, int]] = []
    for code in srv.message_codes:
        row = use_case_row(code)
        if row is None or not kinds & set(row.kinds):
            continue
        candidate = row.use_case if row.use_case in srv.use_cases else next(
            (u for u in srv.use_cases if row.use_case.startswith(u) or u.startswith(row.use_case)), None)
        if candidate is not None and (candidate, code) not in found:
            found.append((candidate, code))
    return sorted(found, key=lambda pair: pair[0] not in available)


def use_case_for(srv: Srv, device_type: str) -> tuple[str, int] | None:
    """The first of :func:`use_cases_for`, or None."""
    found = use_cases_for(srv, device_type)
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class AlertInfo:
    """What the DCC needs to forward an alert."""

    alert_code: int | None
    message_code: int | None
    future_dated_outcome: bool


def classify_alert(raw: bytes) -> AlertInfo:
    """The alert code and kind of a device's GBCS alert."""
    tree = decode_message(raw)
    payload = tree.get("payload") or {}
    code = payload.get("alert_code")
    if code is None:  # DLMS data-notification: structure [alert code, timestamp, ...]
        notification = payload.get("notification") or {}
        members = notification.get("value") or []
        if isinstance(members, list) and members and isinstance(members[0], dict):
            code = members[0].get("value")
    if code is None and isinstance(payload.get("value"), dict):  # ASN.1 alerts carry alertCode
        node = payload["value"].get("alertCode")
        code = node.get("value") if isinstance(node, dict) else node
    message_code = tree.get("message_code")
    alert_code = code if isinstance(code, int) else None
    return AlertInfo(alert_code, message_code, alert_code in FUTURE_DATED_OUTCOMES)
