"""The built-in Production Proving suite of ``smetsim prove``: one request per SRV variant of the catalogue.

Request bodies are generated from the DUIS XSD (:func:`proving.duis.instance.generate_body`: the DUIS
templates are corpus data and do not ship).  Fields whose meaning matters get hinted values: device IDs
from the ``devices`` mapping, a 16-octet install code, and PP Registration Data MPxNs outside the real
ranges (:mod:`proving.registration`).  SRVs that SEC Section P excludes are listed, flagged with the
refusal, and carry no body: the report shows them "not sent".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from lxml import etree

from .catalogue import FutureDating, Srv, catalogue
from .duis.instance import HintValue, generate_body
from .exclusions import Refusal, exclusion
from .registration import mpan_check_digit

DCC = "DCC"
"""Target of the non-device SRVs (CV 8); its ID is ``devices["DCC"]`` when the caller gives one."""
TARGET_ORDER = ("ESME", "GSME", "CHF", "GPF", "PPMID", "HCALCS")
CV_PREFERENCE = (1, 4, 8, 2)
FUTURE_OFFSET = timedelta(days=1)

INSTALL_CODE = bytes.fromhex("505020534D4554534D2D50502D494331")
"""A 16-octet install code (SMETS2+ length, CR1277) for the 8.11 whitelist entry."""
PP_MPRN = "10001"
"""A PP MPRN: 5 digits, shorter than any real MPRN (proving.registration)."""


def pp_mpan(unique: int) -> str:
    """A PP MPAN core: distributor ID 00 (not a real network), 10-digit unique ID, valid check digit."""
    first12 = f"00{unique:010d}"
    return first12 + str(mpan_check_digit(first12))


# hint path -> device type whose ID goes there (skipped when the caller has no such device)
NEW_DEVICE = "NEW"  # the ``devices`` key of a device ID not yet in the inventory (12.2 pre-notifies it)
_DEVICE_FIELDS: dict[str, dict[str, str]] = {
    "5.1": {"DeviceID": "ESME"},
    "8.3": {"DeviceID": "PPMID"},
    "8.4": {"DeviceID": "PPMID"},
    "8.6": {"DeviceID": "ESME"},
    "8.11": {"UpdateHANDeviceLog/DeviceID": "PPMID"},
    "8.12.1": {"OldCHFID": "CHF"},
    "8.12.2": {"OldGPFID": "GPF"},
    "8.14.1": {"DeviceID": "CHF"},
    "8.14.2": {"DeviceID": "CHF"},
    "8.14.3": {"DeviceID": "CHF", "OtherDeviceID": "ESME"},
    "8.14.4": {"DeviceID": "CHF"},
    "11.1": {"DeviceIDList": "ESME"},
    "11.4": {"DeviceIDList": "PPMID"},
    "12.2": {"DeviceID": NEW_DEVICE},  # a device the DCC does not hold yet: pre-notification makes it Pending
}
_JOIN_SRVS = frozenset({"8.7.1", "8.7.2", "8.8.1", "8.8.2"})

# fixed hints per SRV: they may add optional parts (8.11: the whitelist entry, with its install code)
_SRV_HINTS: dict[str, dict[str, HintValue]] = {
    "8.6": {"DeviceType": "ESME"},
    "8.11": {"RequestType": "Add", "AddDeviceToCHFWhitelist/InstallCode": INSTALL_CODE,
             "AddDeviceToCHFWhitelist/JoinTimePeriod": 90},
    "12.2": {"DeviceType": "ESME"},
}


@dataclass(frozen=True, eq=False)
class SuiteRequest:
    """One request of the suite (not yet addressed or signed: the runner adds RequestID and signature)."""

    name: str
    srv: Srv
    command_variant: int
    body: etree._Element | None = field(repr=False)
    target: str
    device_id: str | None = None
    future_dated: bool = False
    execution_datetime: datetime | None = None
    refusal: Refusal | None = None

    @property
    def excluded(self) -> bool:
        """True when Section P forbids sending it (listed, "not sent")."""
        return self.refusal is not None

    @property
    def refusal_text(self) -> str | None:
        """Why it is not sent, for the report."""
        return None if self.refusal is None else str(self.refusal)

    @property
    def supported(self) -> bool:
        """True when the caller's devices include the target (or it goes to the DCC)."""
        return self.device_id is not None or self.target == DCC


def command_variant(srv: Srv) -> int:
    """The first of CV 1, 4, 8, 2 the SRV allows (non-critical 1, critical 4, non-device 8)."""
    return next(cv for cv in CV_PREFERENCE if cv in srv.command_variants)


def target_type(srv: Srv, devices: Mapping[str, str]) -> str:
    """``DCC`` for a non-device SRV, else the first of its device types the caller has (ESME first)."""
    if srv.non_device:
        return DCC
    ordered = [d for d in TARGET_ORDER if d in srv.devices] + sorted(srv.devices - set(TARGET_ORDER))
    return next((d for d in ordered if d in devices), ordered[0])


def _value_hints(target: str) -> dict[str, HintValue]:
    """PP values for MPxN fields (used only where the body already has them)."""
    import_mpxn = PP_MPRN if target == "GSME" else pp_mpan(1)
    return {"ImportMPxN": import_mpxn, "MPxN": import_mpxn, "ImportMPAN": pp_mpan(1), "ImportMPRN": PP_MPRN,
            "SecondaryImportMPAN": pp_mpan(2), "ExportMPAN": pp_mpan(3)}


def _hints(srv: Srv, target: str, devices: Mapping[str, str]) -> dict[str, HintValue]:
    fields = dict(_DEVICE_FIELDS.get(srv.id, {}))
    if srv.id in _JOIN_SRVS:
        fields["OtherDeviceID"] = "ESME" if target == "PPMID" else "PPMID"
    hints: dict[str, HintValue] = {path: devices[kind] for path, kind in fields.items() if kind in devices}
    return hints | _SRV_HINTS.get(srv.id, {})


def suite_body(
    schema_dir: str | os.PathLike,
    srv: Srv,
    target: str,
    devices: Mapping[str, str],
    *,
    now: datetime,
    execution_datetime: datetime | None = None,
    seed: int = 0,
) -> etree._Element:
    """The body of the suite request for ``srv`` aimed at ``target``."""
    hints = _hints(srv, target, devices)
    body = generate_body(schema_dir, srv.body, seed=seed, hints=hints, execution_datetime=execution_datetime,
                         now=now)
    present = {etree.QName(node).localname for node in body.iter()}
    extra = {k: v for k, v in _value_hints(target).items() if k in present and k not in hints}
    if not extra:
        return body
    return generate_body(schema_dir, srv.body, seed=seed, hints=hints | extra,
                         execution_datetime=execution_datetime, now=now)


def builtin_suite(
    schema_dir: str | os.PathLike,
    *,
    now: datetime,
    devices: Mapping[str, str],
    seed: int = 0,
) -> list[SuiteRequest]:
    """One immediate request per catalogue SRV (excluded ones flagged, without body), each followed, for
    SRVs the device future-dates, by a request executing one day after ``now``.

    ``devices`` maps device types (``ESME``, ``GSME``, ``CHF``, ``GPF``, ``PPMID``, ``HCALCS``; ``DCC`` for
    the DCC's ID) to their IDs; those IDs fill the device-ID fields of the bodies.
    """
    out: list[SuiteRequest] = []
    for srv in catalogue().values():
        target = target_type(srv, devices)
        refusal = exclusion(srv.id)
        body = None if refusal else suite_body(schema_dir, srv, target, devices, now=now, seed=seed)
        immediate = SuiteRequest(srv.id, srv, command_variant(srv), body, target, devices.get(target), refusal=refusal)
        out.append(immediate)
        if srv.future_dating is FutureDating.DEVICE and refusal is None:
            when = now + FUTURE_OFFSET
            future = suite_body(schema_dir, srv, target, devices, now=now, execution_datetime=when, seed=seed)
            out.append(replace(immediate, name=f"{srv.id}-future", body=future, future_dated=True,
                               execution_datetime=when))
    return out
