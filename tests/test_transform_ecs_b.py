"""DUIS -> GBCS transforms of the ESME control, read and auxiliary controller use cases (ECS27 and above).

For every DUIS 5.4 template of the family: (1) the payload decodes and has the structure of the
RTDS 4.5.0 SUCCESS command of the same use case and variant (or, where the RTDS has no SUCCESS
command, the GBCS instruction layout written out below); (2) framed by the remote party a User
of the SRV signs as, an emulated device of the target kind accepts it; (3) bad bodies raise
TransformError naming the element.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import corpus_root
from lxml import etree

from emulator.clock import VirtualClock
from emulator.conformance import compare_structure
from emulator.device import Device
from emulator.kinds import create_device
from emulator.profiles import load_profile
from emulator.testkit import RemoteParties
from gbcs.dlms import decode_dlms
from gbcs.message import decode_message
from proving.catalogue import UserRole, srv
from proving.transform import TransformContext, Transformed, TransformError, transform
from proving.transform.ecs_control_helpers import MESSAGE_CODES, NEVER, NOW
from proving.transform.registry import DUIS_NS

NS = {"sr": DUIS_NS}
FAMILY = re.compile(r"^ECS(\d+)")
START = "2015-01-01T00:00:00Z"  # inside the ECS70 templates' clock window, before the ECS47 windows


def _family_templates() -> list[str]:
    root = corpus_root()
    if root is None:
        return []
    names = sorted(p.name for p in (root / "duis" / "templates").glob("ECS*.XML"))
    return [n for n in names if int(FAMILY.match(n).group(1)) >= 27]  # type: ignore[union-attr]


TEMPLATES = _family_templates() or ["(corpus absent)"]

# RTDS 4.5.0 has no SUCCESS command of this use case and variant: the payload is checked against the
# GBCS instruction layout instead, (kind, class, OBIS, attribute or method, top-level A-XDR type).
LAYOUTS: dict[str, list[tuple[str, int, str, int, str]]] = {
    "ECS29b_6.5": (
        [("set", 7, f"1-0:{c}.24.0.255", 4, "double-long-unsigned") for c in (32, 52, 72)]
        + [("set", 71, f"0-0:17.0.{n}.255", a, "double-long-unsigned") for n in range(1, 5) for a in (4, 6)]
        + [("set", 1, o, 2, "double-long-unsigned") for o in ("1-0:32.35.0.4", "1-0:32.31.0.4", "1-0:52.31.0.4",
                                                                "1-0:52.35.0.4", "1-0:72.31.0.4", "1-0:72.35.0.4")]
        + [("action", 3, f"1-0:{c}.{d}.0.4", 1, "integer") for c in (32, 52, 72) for d in (32, 36)]),
    "ECS37_6.18.1": [("set", 10, "0-0:12.0.0.255", 2, "array")],
    "ECS38_7.12": [("set", 1, "0-0:94.44.0.1", 2, "long-unsigned")],
    "ECS43_7.2": [("action", 9, "0-0:10.0.106.255", 1, "long-unsigned")],
    "ECS44_7.3": [("action", 9, "0-0:10.0.106.255", 1, "long-unsigned")],
    "ECS45_7.4": [("get", 70, "0-0:96.3.10.255", 3, "null")],
    "ECS48_6.26": [("set", 22, "0-0:15.1.0.255", 4, "array")],
    "ECS50_9.1": [("set", 1, "0-3:96.13.1.255", 2, "octet-string")],
    "ECS57_6.18.2_ALL_OPTIONALS": [("action", 4, o, 1, "integer")
                                   for o in ("1-0:1.6.0.255", "1-0:1.6.1.255", "1-0:2.6.0.255")],
}
# RTDS SUCCESS command of another variant with the same instruction structure
SAME_STRUCTURE = {
    # only the direction nibble of the script selector differs between APC input and output
    "ECS47a_7.13_APC_INPUT": "ECS47a_7.13_APC_OUTPUT",
}
# the RTDS command of these use cases came from a User of this role (the DCC then frames it via the ACB)
RTDS_USER_ROLE = {"ECS61d": "OU"}
APC_PROFILE_USE_CASES = {"ECS46d", "ECS47a", "ECS47e", "ECS61d", "ECS61e"}
ACB_COUNTER_OFFSET = 300  # the ACB's own command counter runs independently of the User's
CIN = "4821"  # the DCC generates the CIN of ECS50; any 4 digits


# ---------------------------------------------------------------------------- template plumbing


def _parse(path: Path) -> tuple[etree._Element, dict[str, str]]:
    root = etree.parse(str(path)).getroot()
    header = {etree.QName(e).localname: (e.text or "").strip() for e in root.find("sr:Header", NS)}
    body = next(e for e in root.find("sr:Body", NS) if isinstance(e.tag, str))
    return body, header


def _use_case(name: str) -> str:
    return name.split("_")[0]


def _variant(name: str) -> str:
    """Template variant tokens: between the SRV and SUCCESS (or REQUEST)."""
    parts = name.split("_")
    tokens = parts[2:parts.index("SUCCESS")] if "SUCCESS" in parts else []
    return "_".join(tokens)


def _key(name: str) -> str:
    variant = _variant(name)
    return "_".join(name.split("_")[:2]) + (f"_{variant}" if variant else "")


def _user_role(name: str, srv_id: str) -> tuple[str, int]:
    """A DUIS User Role eligible for the SRV and the GBCS remote party role it signs as (requirements §1.1,
    §6.1): supplier Users (IS, GS) sign as Supplier, ED / GT as Network Operator, OU / ES / RSA go via the ACB."""
    roles = srv(srv_id).roles
    chosen = RTDS_USER_ROLE.get(_use_case(name))
    for role, gbcs_role in (("IS", 2), ("GS", 2), ("ED", 3), ("GT", 3), ("ES", 4), ("OU", 4), ("RSA", 4)):
        if UserRole(role) in roles and chosen in (None, role):
            return role, gbcs_role
    return "LoadController", 8  # SRV 7.16 Limit APC Level has no DUIS User Role: the Load Controller


def _role(ctx: TransformContext) -> int:
    """The role the command is framed under: the ACB for CHF and OU / ES / RSA Users, else the User's role."""
    if ctx.device_type == "CHF" or ctx.extra["user_role"] in ("ES", "OU", "RSA"):
        return 4
    return 2 if ctx.extra["user_role"] in ("IS", "GS") else 3 if ctx.extra["user_role"] in ("ED", "GT") else 8


def _device_type(use_case: str) -> str:
    return "CHF" if use_case in ("ECS35c", "ECS35d") else "ESME"


def _context(name: str, body: etree._Element, header: dict[str, str], parties: RemoteParties) -> TransformContext:
    _source, target, counter = header["RequestID"].split(":")
    uc = _use_case(name)
    user_role, gbcs_role = _user_role(name, header["ServiceReferenceVariant"])
    extra: dict[str, Any] = {"cin": CIN, "user_role": user_role}
    if _device_type(uc) == "CHF" or gbcs_role == 4:
        # the ACB frames it with its own counter; the User's goes in other-information
        extra["request_counter"] = int(counter)
        counter = str(int(counter) + ACB_COUNTER_OFFSET)
    executes = body.find("sr:ExecutionDateTime", NS)
    when = None
    if executes is not None:
        when = datetime.fromisoformat(executes.text.strip().replace("Z", "+00:00")).astimezone(UTC)
    return TransformContext(
        srv=header["ServiceReferenceVariant"], use_case=uc, message_code=MESSAGE_CODES[uc], counter=int(counter),
        originator=parties.eui[2 if gbcs_role == 4 else gbcs_role],  # an OU / ES User: any EUI not the ACB's
        recipient=bytes.fromhex(target.replace("-", "")), device_type=_device_type(uc), execution_datetime=when,
        extra=extra)


def _controllers(body: etree._Element) -> tuple[str, ...]:
    """Five auxiliary controllers as the template's target ESME has them: those the request commands with
    InputFromControlledLoad are APC inputs, the others APC outputs."""
    kinds = ["APC-output"] * 5
    for item in body.xpath("descendant-or-self::*[@auxiliaryControllerN]"):
        if item.find("sr:InputFromControlledLoad", NS) is not None:
            kinds[int(item.get("auxiliaryControllerN")) - 1] = "APC-input"
    return tuple(kinds)


def _device(parties: RemoteParties, uc: str, eui: bytes, name: str, body: etree._Element | None = None,
            stock: bool = False) -> Device:
    if _device_type(uc) == "CHF":
        profile = load_profile("generic-chf")
    elif uc in APC_PROFILE_USE_CASES:
        profile = load_profile("esme-apc")
        if not stock and body is not None:
            profile = replace(profile, auxiliary_controllers=_controllers(body))
    elif "TWIN" in name:
        profile = load_profile("esme-twin")
    else:
        profile = load_profile("generic-esme")
    return create_device(profile, eui, VirtualClock(START), parties.anchors)


def _framed(parties: RemoteParties, device: Device, out: Transformed, ctx: TransformContext) -> bytes:
    role = _role(ctx)
    return parties.command(device, out.message_code, out.payload, ctx.counter, role=role,
                           signed=srv(ctx.srv).critical, other_information=out.other_information)


def _reference(corpus: Path, name: str) -> Path | None:
    """The RTDS SUCCESS command of the template's use case and variant (never PRECOMMAND or ERROR)."""
    key = SAME_STRUCTURE.get(_key(name), _key(name))
    uc, srv_id = name.split("_")[:2]
    found = corpus / "rtds" / f"{srv_id}_{uc}" / f"{key}_SUCCESS_COMMAND_GBCS.HEX"
    return found if found.is_file() else None


def _prepare(corpus: Path, name: str, parties: RemoteParties, stock: bool = False, use_case: str | None = None,
             edit: Callable[[etree._Element], None] | None = None) -> tuple[TransformContext, Transformed, Device]:
    """Transform a template (optionally edited, and sent as another use case of its SRV) for a fresh device."""
    if name not in _family_templates():
        pytest.skip("template absent")
    body, header = _parse(corpus / "duis" / "templates" / name)
    if edit is not None:
        edit(body)
    if use_case is not None:
        name = name.replace(_use_case(name), use_case, 1)
    uc = _use_case(name)
    ctx = _context(name, body, header, parties)
    out = transform(body, ctx)
    device = _device(parties, uc, ctx.recipient, name, body, stock)
    return ctx, out, device


# ---------------------------------------------------------------------------- (1) structure


@pytest.mark.parametrize("name", TEMPLATES)
def test_payload_has_the_rtds_structure(corpus: Path, parties: RemoteParties, name: str) -> None:
    ctx, out, device = _prepare(corpus, name, parties)
    assert out.payload_type == "dlms" and out.message_code == MESSAGE_CODES[ctx.use_case]
    request = decode_dlms(out.payload)
    assert request["apdu"] == "access-request"
    assert request["invoke_id"] == 0x20000000 | (ctx.counter & 0xFFFFFF)
    emulated = decode_message(_framed(parties, device, out, ctx))
    assert emulated["ok"], emulated.get("error")
    reference = _reference(corpus, name)
    if reference is None:
        layout = LAYOUTS[_key(name)]
        got = [(r["kind"], r["class_id"], r["obis"], r.get("attribute", r.get("method")), d["type"])
               for r, d in zip(request["requests"], request["data"], strict=True)]
        assert got == layout
        return
    expected = decode_message(bytes.fromhex(reference.read_text().strip()))
    assert compare_structure(emulated, expected) == []


# ---------------------------------------------------------------------------- (2) end to end


@pytest.mark.parametrize("name", TEMPLATES)
def test_emulated_device_accepts_the_command(corpus: Path, parties: RemoteParties, name: str) -> None:
    ctx, out, device = _prepare(corpus, name, parties)
    result = device.handle(_framed(parties, device, out, ctx))
    assert result.response is not None, device.event_log
    tree = decode_message(result.response)
    assert tree["ok"], tree.get("error")
    assert [r["result"] for r in tree["payload"]["results"]] == [0] * len(decode_dlms(out.payload)["requests"])


# ---------------------------------------------------------------------------- variants without a template


def _sr(tag: str) -> str:
    return f"{{{DUIS_NS}}}{tag}"


def _drop(path: str) -> Callable[[etree._Element], None]:
    def edit(body: etree._Element) -> None:
        for item in body.xpath("/".join(f"sr:{p}" for p in path.split("/")), namespaces=NS):
            item.getparent().remove(item)
    return edit


def _append(xml: str, before: str | None = None) -> Callable[[etree._Element], None]:
    def edit(body: etree._Element) -> None:
        item = etree.fromstring(f'<wrap xmlns:sr="{DUIS_NS}">{xml}</wrap>')[0]
        anchor = body.find(f"sr:{before}", NS) if before else None
        if anchor is not None:
            anchor.addprevious(item)
        else:
            body.append(item)
    return edit


def _quarterly(body: etree._Element) -> None:
    calendar = body.find("sr:ElectricityBillingCalendar", NS)
    calendar.remove(calendar.find("sr:Monthly", NS))
    _append("<sr:Quarterly><sr:DayOfMonth>3</sr:DayOfMonth><sr:BillingPeriodStartMonth>2"
            "</sr:BillingPeriodStartMonth></sr:Quarterly>")(calendar)


# (template, use case sent, edit of the body, RTDS SUCCESS command key): RTDS variants no template covers,
# made from the nearest template with a small edit of our own
DERIVED = [
    ("ECS29a_6.5_SUCCESS_REQUEST_DUIS.XML", "ECS29c", _append("<sr:RMSVoltageCountersNotReset/>"), "ECS29c_6.5"),
    ("ECS30_6.8_SUCCESS_REQUEST_DUIS.XML", "ECS30a", _quarterly, "ECS30a_6.8"),
    ("ECS35g_6.13_SUCCESS_REQUEST_DUIS.XML", "ECS35f", None, "ECS35f_6.13"),
    ("ECS28a_6.4.1_CANCELLATION_SUCCESS_REQUEST_DUIS.XML", None, _drop("ExecutionDateTime"),
     "ECS28a_6.4.1_IMMEDIATE"),
    ("ECS28a_6.4.1_CANCELLATION_SUCCESS_REQUEST_DUIS.XML", None,
     lambda body: setattr(body.find("sr:ExecutionDateTime", NS), "text", "2031-06-30T22:00:00Z"),
     "ECS28a_6.4.1_FUTURE_DATED"),
    ("ECS39a_6.20.1_TWIN_SUCCESS_REQUEST_DUIS.XML", None, _drop("ImportMPANs/SecondaryImportMPAN"),
     "ECS39a_6.20.1_SINGLE"),
    ("ECS47e_7.16_APC_INPUT_SUCCESS_REQUEST_DUIS.XML", None, _drop("InputFromControlledLoad"),
     "ECS47e_7.16_APC_OUTPUT"),
    ("ECS47a_7.13_APC_INPUT_SUCCESS_REQUEST_DUIS.XML", None, _drop("InputFromControlledLoad"),
     "ECS47a_7.13_APC_OUTPUT"),
]


@pytest.mark.parametrize(("name", "use_case", "edit", "key"), DERIVED, ids=[d[3] for d in DERIVED])
def test_derived_variant_matches_rtds_and_is_accepted(corpus: Path, parties: RemoteParties, name: str,
                                                      use_case: str | None, edit: Any, key: str) -> None:
    ctx, out, device = _prepare(corpus, name, parties, use_case=use_case, edit=edit)
    uc, srv_id = key.split("_")[:2]
    reference = corpus / "rtds" / f"{srv_id}_{uc}" / f"{key}_SUCCESS_COMMAND_GBCS.HEX"
    expected = decode_message(bytes.fromhex(reference.read_text().strip()))
    assert compare_structure(decode_message(_framed(parties, device, out, ctx)), expected) == []
    tree = decode_message(device.handle(_framed(parties, device, out, ctx)).response)
    assert {r["result"] for r in tree["payload"]["results"]} == {0}


# The stock esme-apc model has three controllers (1 APC output, 2 APC input, 3 ALCS); the DUIS templates
# address the RTDS's second ESME, which has five.  On the stock model the device legitimately refuses
# (other-reason, requirements §7) every instruction of a command for a controller it lacks or that is not
# an APC input when InputFromControlledLoad is given; the test above uses a five-controller model instead.
STOCK_REFUSALS = ["ECS46d_6.14.3_CANCELLATION_APC_OUTPUT_SUCCESS_REQUEST_DUIS.XML",
                  "ECS46d_6.14.3_FUTURE_DATED_APC_OUTPUT_SUCCESS_REQUEST_DUIS.XML",
                  "ECS46d_6.14.3_IMMEDIATE_APC_INPUT_SUCCESS_REQUEST_DUIS.XML",
                  "ECS47a_7.13_ALCS_ACTIVATE_SUCCESS_REQUEST_DUIS.XML",
                  "ECS47a_7.13_APC_INPUT_SUCCESS_REQUEST_DUIS.XML",
                  "ECS47e_7.16_APC_INPUT_SUCCESS_REQUEST_DUIS.XML"]


@pytest.mark.parametrize("name", STOCK_REFUSALS)
def test_stock_apc_model_refuses_controllers_it_lacks(corpus: Path, parties: RemoteParties, name: str) -> None:
    ctx, out, device = _prepare(corpus, name, parties, stock=True)
    tree = decode_message(device.handle(_framed(parties, device, out, ctx)).response)
    assert {r["result"] for r in tree["payload"]["results"]} == {250}
    assert "refused" in device.event_log.entries()[-1].detail


# ---------------------------------------------------------------------------- values and rules


def _body(element: str, inner: str = "", attributes: str = "") -> etree._Element:
    return etree.fromstring(f'<sr:{element} xmlns:sr="{DUIS_NS}" {attributes}>{inner}</sr:{element}>')


def _ctx(use_case: str, srv_id: str = "0", counter: int = 7, **extra: Any) -> TransformContext:
    return TransformContext(srv=srv_id, use_case=use_case, message_code=MESSAGE_CODES[use_case], counter=counter,
                            originator=bytes(range(8)), recipient=bytes(range(8, 16)), device_type="ESME",
                            extra=extra)


def _request(use_case: str, body: etree._Element, **extra: Any) -> dict[str, Any]:
    return decode_dlms(transform(body, _ctx(use_case, **extra)).payload)


LOAD_LIMIT = ("<sr:LoadLimitPeriod>60</sr:LoadLimitPeriod><sr:LoadLimitPowerThreshold>5000"
              "</sr:LoadLimitPowerThreshold><sr:LoadLimitRestorationPeriod>10</sr:LoadLimitRestorationPeriod>"
              "<sr:LoadLimitSupplyState>Unchanged</sr:LoadLimitSupplyState>")


@pytest.mark.parametrize(("execution", "expected"), [
    ("", NOW),
    ("<sr:ExecutionDateTime>3000-12-31T00:00:00Z</sr:ExecutionDateTime>", NEVER),
    ("<sr:ExecutionDateTime>2031-02-03T04:05:06Z</sr:ExecutionDateTime>",
     bytes.fromhex("07EF0203FF040506008000FF")),
])
def test_load_limit_activation_time_follows_the_execution_date_time(execution: str, expected: bytes) -> None:
    request = _request("ECS28a", _body("UpdateDeviceConfigurationLoadLimitingGeneralSettings", execution + LOAD_LIMIT))
    values = [d.get("value") for d in request["data"]]
    assert values[:4] == [False, 5000, 60, 10]
    assert values[4:] == [expected.hex().upper()] * 4


def test_billing_calendar_quarterly_gives_four_dates() -> None:
    inner = ("<sr:ElectricityBillingCalendar><sr:BillingTime>23:30:00Z</sr:BillingTime><sr:Quarterly>"
             "<sr:DayOfMonth>5</sr:DayOfMonth><sr:BillingPeriodStartMonth>11</sr:BillingPeriodStartMonth>"
             "</sr:Quarterly></sr:ElectricityBillingCalendar>")
    entries = _request("ECS30a", _body("UpdateDeviceConfigurationBillingCalendar", inner))["data"][0]["value"]
    assert [[m["value"] for m in e["value"]] for e in entries] == [
        ["171E0000", f"FFFF{month:02X}05FF"] for month in (11, 2, 5, 8)]


def test_auxiliary_controller_selector_carries_direction_number_and_level() -> None:
    inner = ("<sr:StartDateTime>2031-01-01T10:00:00Z</sr:StartDateTime><sr:EndDateTime>2031-01-02T10:00:00Z"
             "</sr:EndDateTime><sr:CommandedStateLevel>37</sr:CommandedStateLevel>"
             "<sr:InputFromControlledLoad/>")
    request = _request("ECS47e", _body("LimitAPCLevel", inner, 'auxiliaryControllerN="2"'))
    assert [r["obis"] for r in request["requests"]] == ["0-0:94.44.118.3", "0-0:94.44.118.4", "0-0:10.0.107.255"]
    assert request["data"][2] == {"type": "long-unsigned", "value": 0x2225}


def test_boost_button_instructions_only_for_marked_switches() -> None:
    inner = "".join(f'<sr:RemoveFromBoostButton index="{n}">{str(n % 2 == 1).lower()}</sr:RemoveFromBoostButton>'
                    for n in range(1, 6))
    request = _request("ECS62Remove", _body("RemoveAuxiliaryLoadFromBoostButton", inner))
    assert [r["obis"] for r in request["requests"]] == ["0-0:94.44.6.1", "0-0:94.44.6.3", "0-0:94.44.6.5"]
    assert {d["value"] for d in request["data"]} == {False}


def test_daily_consumption_log_protection_names_the_transaction() -> None:
    inner = ("<sr:ReadLogPeriod><sr:StartDateTime>2031-01-01T00:00:00Z</sr:StartDateTime>"
             "<sr:EndDateTime>2031-01-08T00:00:00Z</sr:EndDateTime></sr:ReadLogPeriod>")
    request = _request("ECS66", _body("RetrieveDailyConsumptionLog", inner))
    options = request["data"][0]["value"][1]["value"][0]["value"][1]["value"]
    assert [o["value"] for o in options[:3]] == ["04" + (7).to_bytes(8, "big").hex().upper(),
                                                 bytes(range(8)).hex().upper(), bytes(range(8, 16)).hex().upper()]


# ---------------------------------------------------------------------------- (3) bad bodies


WINDOW = ("<sr:StartDateTime>{start}</sr:StartDateTime><sr:EndDateTime>{end}</sr:EndDateTime>"
          "<sr:CommandedStateLevel>{level}</sr:CommandedStateLevel>")
SCHEDULE = ("<sr:ALCSHCALCSConnectionSchedule><sr:ActivateDeactivateSwitch index=\"1\"><sr:ActivateSwitch/>"
            "</sr:ActivateDeactivateSwitch><sr:SpecialDaysApplicability index=\"{special}\"/>"
            "<sr:DaysOfWeekApplicability/><sr:ALCSScheduleDatesAndTime><sr:SwitchTime>{time}</sr:SwitchTime>"
            "<sr:StartDate>{date}</sr:StartDate><sr:EndDate>{date}</sr:EndDate></sr:ALCSScheduleDatesAndTime>"
            "</sr:ALCSHCALCSConnectionSchedule>")
ANY_DATE = ("<sr:Year><sr:NonSpecifiedYear/></sr:Year><sr:Month><sr:NonSpecifiedMonth/></sr:Month><sr:DayOfMonth>"
            "<sr:NonSpecifiedDayOfMonth/></sr:DayOfMonth><sr:DayOfWeek><sr:NonSpecifiedDayOfWeek/></sr:DayOfWeek>")
SPECIAL_DAY = f'<sr:ALCSHCALCSSpecialDays><sr:ALCSHCALCSSpecialDay index="1">{ANY_DATE}</sr:ALCSHCALCSSpecialDay>' \
              "</sr:ALCSHCALCSSpecialDays>"


@pytest.mark.parametrize(("use_case", "element", "inner", "attributes", "named"), [
    ("ECS47e", "LimitAPCLevel", WINDOW.format(start="2031-01-01T10:00:00Z", end="2031-01-02T10:00:01Z", level=5),
     'auxiliaryControllerN="1"', "24 hours"),
    ("ECS47e", "LimitAPCLevel", WINDOW.format(start="2031-01-01T10:00:00Z", end="2031-01-01T10:00:00Z", level=5),
     'auxiliaryControllerN="1"', "EndDateTime"),
    ("ECS47a", "SetAuxiliaryControllerState",
     WINDOW.format(start="2031-01-01T10:00:00Z", end="2031-01-01T09:00:00Z", level=5),
     'auxiliaryControllerN="1"', "EndDateTime"),
    ("ECS47a", "SetAuxiliaryControllerState",
     WINDOW.format(start="2031-01-01T10:00:00Z", end="2031-01-01T11:00:00Z", level=101),
     'auxiliaryControllerN="1"', "CommandedStateLevel"),
    ("ECS47a", "SetAuxiliaryControllerState",
     WINDOW.format(start="2031-01-01T10:00:00Z", end="2031-01-01T11:00:00Z", level=5),
     'auxiliaryControllerN="6"', "auxiliaryControllerN"),
    ("ECS28a", "UpdateDeviceConfigurationLoadLimitingGeneralSettings",
     LOAD_LIMIT.replace("<sr:LoadLimitPowerThreshold>5000</sr:LoadLimitPowerThreshold>", ""), "",
     "LoadLimitPowerThreshold"),
    ("ECS28a", "UpdateDeviceConfigurationLoadLimitingGeneralSettings",
     LOAD_LIMIT.replace("Unchanged", "Off"), "", "LoadLimitSupplyState"),
    ("ECS38", "SetRandomisedOffsetLimit", "<sr:RandomisedOffsetLimit>1800</sr:RandomisedOffsetLimit>", "",
     "RandomisedOffsetLimit"),
    ("ECS46a", "UpdateDeviceConfigurationALCDescriptions",
     '<sr:ALCSHCALCSDescription index="1"><sr:SwitchDescription>' + "x" * 23
     + "</sr:SwitchDescription></sr:ALCSHCALCSDescription>", "", "SwitchDescription"),
    ("ECS46c", "UpdateDeviceConfigurationALCScheduler",
     SCHEDULE.format(special=2, time="06:00:00Z", date=ANY_DATE) + SPECIAL_DAY, "", "special day 2"),
    ("ECS46c", "UpdateDeviceConfigurationALCScheduler",
     SCHEDULE.format(special=1, time="24:00:00Z", date=ANY_DATE) + SPECIAL_DAY, "", "SwitchTime"),
    ("ECS46c", "UpdateDeviceConfigurationALCScheduler",
     SCHEDULE.format(special=1, time="06:00:00Z", date=ANY_DATE.replace("<sr:NonSpecifiedMonth/>", ""))
     + SPECIAL_DAY, "", "Month"),
    ("ECS46c", "UpdateDeviceConfigurationALCScheduler", SPECIAL_DAY, "", "ALCSHCALCSConnectionSchedule"),
    ("ECS29a", "UpdateDeviceConfigurationVoltage", "<sr:RMSVoltageSettings/><sr:SinglePhaseVoltageSettings/>"
     "<sr:RMSVoltageCountersNotReset/>", "", "RMSVoltageCountersNotReset"),
    ("ECS29d", "UpdateDeviceConfigurationVoltage",
     "<sr:RMSVoltageSettings/><sr:PolyPhaseVoltageSettings><sr:Phase>1</sr:Phase></sr:PolyPhaseVoltageSettings>"
     "<sr:RMSVoltageCountersNotReset/>", "", "PhaseVoltageSettings"),
    ("ECS35a", "ReadEventOrSecurityLog", "<sr:ReadLogPeriod><sr:StartDateTime>2031-01-01T00:00:00Z"
     "</sr:StartDateTime><sr:EndDateTime>2031-01-02T00:00:00Z</sr:EndDateTime></sr:ReadLogPeriod>"
     "<sr:LogToRead>Security</sr:LogToRead>", "", "LogToRead"),
    ("ECS61c", "ReadBoostButtonDetails", "<sr:ReadLogPeriod><sr:StartDateTime>2031-01-02T00:00:00Z"
     "</sr:StartDateTime><sr:EndDateTime>2031-01-01T00:00:00Z</sr:EndDateTime></sr:ReadLogPeriod>", "",
     "EndDateTime"),
    ("ECS57", "ResetMaximumDemandRegisters", "", "", "MaxDemandActivePowerImportValue"),
    ("ECS39a", "SetDeviceConfigurationImportMPxN", "<sr:ImportMPANs><sr:ImportMPAN>12345</sr:ImportMPAN>"
     "</sr:ImportMPANs>", "", "ImportMPAN"),
    ("ECS50", "RequestCustomerIdentificationNumber", "", "", "CustomerIdentificationNumber"),
    ("ECS70", "SynchroniseClock", "<sr:CurrentDateTime>2031-01-01T00:00:00Z</sr:CurrentDateTime>"
     "<sr:TolerancePeriod>86401</sr:TolerancePeriod>", "", "TolerancePeriod"),
    ("ECS62Add", "AddAuxiliaryLoadToBoostButton", '<sr:AddToBoostButton index="1">true</sr:AddToBoostButton>'
     '<sr:AddToBoostButton index="1">true</sr:AddToBoostButton>', "", "index"),
    ("ECS46a", "UpdateDeviceConfigurationALCDescriptions", "", "", "ALCSHCALCSDescription"),
    ("ECS62Remove", "RemoveAuxiliaryLoadFromBoostButton",
     "".join(f'<sr:RemoveFromBoostButton index="{n}">false</sr:RemoveFromBoostButton>' for n in range(1, 6)), "",
     "RemoveFromBoostButton"),
    ("ECS47Reset", "ResetAuxiliaryLoad", "", "", "ResetALCSHCALCS"),
    ("ECS47Activate", "ActivateAuxiliaryLoad", '<sr:ActivateALCSHCALCS index="1"><sr:Duration>65536</sr:Duration>'
     "</sr:ActivateALCSHCALCS>", "", "Duration"),
    ("ECS30", "UpdateDeviceConfigurationBillingCalendar", "<sr:ElectricityBillingCalendar><sr:BillingTime>"
     "12:00:00Z</sr:BillingTime></sr:ElectricityBillingCalendar>", "", "periodicity"),
])
def test_bad_body_raises_transform_error_naming_the_element(use_case: str, element: str, inner: str,
                                                            attributes: str, named: str) -> None:
    with pytest.raises(TransformError) as raised:
        transform(_body(element, inner, attributes), _ctx(use_case, cin=""))
    assert named in str(raised.value)
    assert raised.value.use_case == use_case
