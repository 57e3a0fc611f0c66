"""Suites of DUIS requests for a Production Proving run: a directory of request files, or the built-in one.

Each :class:`SuiteItem` names the request, its SRV, the device type it targets and the PP
User role it is sent in.  The device type comes from the GBCS use case a template's file
name starts with (``ECS17b_4.1.1_..._REQUEST_DUIS.XML``: an ESME); use cases of auxiliary
proportional controllers go to the ESME with APC.  The role is the first PP role eligible
for the SRV, preferring the fuel of the device.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from emulator.catalogue import use_case as use_case_row

from . import duis
from .catalogue import Srv, catalogue, eligible
from .duis.namespaces import sr
from .exclusions import exclusion

ELECTRICITY_ROLES = ("IS", "ED", "ES", "OU", "GS", "GT")
GAS_ROLES = ("GS", "GT", "OU", "IS", "ED", "ES")
GAS_DEVICES = frozenset({"GSME", "GPF"})
DEVICE_TYPE_ORDER = ("ESME", "GSME", "CHF", "GPF", "PPMID", "HCALCS")
# use cases served by the ESME with auxiliary proportional controllers (requirements §7)
APC_USE_CASES = frozenset({"ECS46d", "ECS47a", "ECS47e", "ECS61d", "ECS61e", "CS02f", "CS02g"})
APC_PROFILE = "esme-apc"


@dataclass(slots=True)
class SuiteItem:
    """One request of a suite, or why it cannot be sent."""

    name: str
    srv: str
    request: duis.DuisRequest | None
    device_type: str | None  # None for non-device SRVs (sent to the DCC)
    profile: str | None = None  # a firmware profile the target must have (APC use cases)
    role: str | None = None
    refusal: str | None = None  # Section P exclusion: reported, never sent
    problem: str | None = None  # the file could not be used


def device_type_for(srv: Srv, use_case: str | None) -> str | None:
    """The DUIS device type a request of ``srv`` (for ``use_case``, when known) targets."""
    if srv.non_device:
        return None
    if use_case:
        for code in srv.message_codes:
            row = use_case_row(code)
            if row is not None and (row.use_case == use_case or use_case.startswith(row.use_case)):
                for kind in DEVICE_TYPE_ORDER:
                    if kind in row.kinds:
                        return kind
    return srv.devices[0] if srv.devices else None


def role_for(srv_id: str, device_type: str | None) -> str | None:
    """The PP role to send ``srv_id`` in: eligible, and of the device's fuel when possible."""
    order = GAS_ROLES if device_type in GAS_DEVICES else ELECTRICITY_ROLES
    return next((role for role in order if eligible(srv_id, role)), None)


def _item(name: str, request: duis.DuisRequest, use_case: str | None) -> SuiteItem:
    srv = catalogue().get(request.srv)
    if srv is None:
        return SuiteItem(name, request.srv, request, None, problem=f"unknown SRV {request.srv}")
    device_type = device_type_for(srv, use_case)
    profile = APC_PROFILE if use_case in APC_USE_CASES else None
    refusal = exclusion(request.srv)
    return SuiteItem(name, request.srv, request, device_type, profile, role_for(request.srv, device_type),
                     refusal.reason if refusal else None)


def directory_suite(directory: str | Path) -> list[SuiteItem]:
    """Every ``*.XML`` / ``*.xml`` request file of ``directory``, in name order."""
    items = []
    for path in sorted(p for p in Path(directory).iterdir() if p.suffix.lower() == ".xml"):
        try:
            request = duis.parse_request(path.read_bytes())
        except (OSError, duis.DuisError) as exc:
            items.append(SuiteItem(str(path), "", None, None, problem=str(exc)))
            continue
        prefix = path.name.split("_", 1)[0]
        use_case = prefix if not prefix[:1].isdigit() else None
        items.append(_item(str(path), request, use_case))
    return items


APC_SRVS = frozenset({"6.14.3", "7.13", "7.14", "7.15", "7.16"})  # served by the ESME with APC
# bodies whose every part is optional in the XSD but GBCS needs at least one: generated with the optionals
ALL_OPTIONALS_SRVS = frozenset({"6.18.2", "6.22"})
ELSEWHERE = "00-DB-12-34-56-7B-AF-FF"  # a device of another premises (8.12.2: the GPF replaced)
PRE_NOTIFIED = "00-DB-12-34-56-7B-AF-FE"  # a new ESME the built-in suite pre-notifies (12.2)


def number_indexes(body: etree._Element) -> etree._Element:
    """Repeated siblings with an ``index`` attribute are numbered 1..n, as DUIS lists (days of a week ...) are."""
    for parent in body.iter():
        groups: dict[str, list[etree._Element]] = {}
        for child in parent:
            if isinstance(child.tag, str) and child.get("index") is not None:
                groups.setdefault(child.tag, []).append(child)
        for siblings in groups.values():
            if len(siblings) > 1:
                for number, child in enumerate(siblings, 1):
                    child.set("index", str(number))
    return body
PLACEHOLDER_USER = "00-00-00-00-00-00-00-00"  # replaced by the PP User when the request is sent


def builtin_items(xsd_dir: str | Path, *, now: datetime | None = None) -> list[SuiteItem]:
    """The built-in suite (:func:`proving.suite.builtin_suite`) for the embedded premises' devices."""
    from .duis.instance import generate_body
    from .identities import ACB
    from .premises import DEFAULT_DEVICES
    from .suite import NEW_DEVICE, builtin_suite

    devices: dict[str, str] = {"DCC": duis.normalise_eui(ACB), NEW_DEVICE: PRE_NOTIFIED}
    for eui, profile, device_type, _ in DEFAULT_DEVICES:
        if profile.startswith("generic-"):
            devices.setdefault(device_type, duis.normalise_eui(bytes.fromhex(eui)))
    items = []
    for entry in builtin_suite(xsd_dir, now=now or datetime.now(UTC), devices=devices):
        srv_id = entry.srv.id
        if entry.excluded or entry.body is None:
            items.append(SuiteItem(entry.name, srv_id, None, None, refusal=entry.refusal_text))
            continue
        target = entry.device_id or devices["DCC"]
        body = entry.body
        if srv_id in ALL_OPTIONALS_SRVS:
            body = generate_body(xsd_dir, entry.srv.body, optional=True, execution_datetime=entry.execution_datetime)
        if srv_id == "8.12.2":
            for element in body.iter(sr("OldGPFID")):
                element.text = ELSEWHERE
        request = duis.DuisRequest(duis.RequestId(PLACEHOLDER_USER, target, 0), entry.command_variant, srv_id,
                                   number_indexes(body))
        device_type = None if entry.target == "DCC" else entry.target
        profile = APC_PROFILE if srv_id in APC_SRVS else None
        items.append(SuiteItem(entry.name, srv_id, request, device_type, profile, role_for(srv_id, device_type)))
    return items
