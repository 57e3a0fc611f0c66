"""The gas (GCS*) DUIS -> GBCS transforms: every DUIS 5.4 template of the family, against RTDS and a device.

For each template: (1) the payload decodes and has the structure of the RTDS SUCCESS
command of the same use case and variant (``compare_structure`` on the framed messages);
(2) framed as the DCC would deliver it, an emulated GSME / GPF accepts it without a failure
status; (3) malformed bodies raise TransformError naming the element.  Also: values taken
from the bodies, future-dated commands executing (and cancelled) on the device clock, and
the catalogue's gas use cases that have no template (bodies written here from the XSD).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from emulator.clock import VirtualClock
from emulator.conformance import compare_structure
from emulator.device import Device
from emulator.history import set_age
from emulator.kinds import create_device
from emulator.testkit import RemoteParties
from gbcs.framing import parse_frame
from gbcs.gbz import decode_gbz
from gbcs.gbz.zcl import decode_zcl_payload
from gbcs.message import decode_message
from gbcs.other_information import parse_other_information
from proving.catalogue import UserRole, srv
from proving.transform import TransformContext, Transformed, TransformError, registered_use_cases, transform
from proving.transform.registry import DUIS_NS
from tests.conftest import corpus_root

NS = {"sr": DUIS_NS}
GSME_EUI, GPF_EUI = bytes.fromhex("00DB1234567890A1"), bytes.fromhex("00DB1234567890A3")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
# the device clocks start here: the templates' log windows and clock synchronisation sit around it
START = "2015-01-01T00:00:00Z"


def _templates() -> list[str]:
    root = corpus_root()
    if root is None:
        return []
    return sorted(p.name for p in (root / "duis" / "templates").glob("GCS*_REQUEST_DUIS.XML"))


TEMPLATES = _templates()

# Templates without an RTDS SUCCESS command of the same use case and variant: the reference used
# instead (None: no reference at all), and why.  The payload structure is then asserted directly.
REFERENCES: dict[str, tuple[str | None, str]] = {
    # nearest variant: the same ZCL commands; the start time and TOU-vs-block tier ids are values, not structure
    "GCS01b_1.2.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML":
        ("1.2.1_GCS01b/GCS01b_1.2.1_FUTURE_DATED_BLOCK_SUCCESS_COMMAND_GBCS.HEX",
         "RTDS 4.5.0 has only BLOCK price updates for GCS01b (future-dated and cancellation), no immediate TOU one"),
    "GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML":
        ("1.6_GCS03/GCS03_1.6_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX",
         "RTDS 4.5.0 has no immediate GCS03 SUCCESS command; Change Payment Mode carries its time as a field"),
    "GCS04_2.3_SUCCESS_REQUEST_DUIS.XML": (None, "RTDS 4.5.0 has only an ERROR GCS04 command"),
    "GCS17_4.8.1_SUCCESS_REQUEST_DUIS.XML": (None, "RTDS 4.5.0 has only an ERROR GCS17 command"),
    "GCS25a_6.8_SUCCESS_REQUEST_DUIS.XML": (None, "RTDS 4.5.0 has only an ERROR GCS25a command"),
    "GCS14_4.3_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML":
        ("4.3_GCS14/GCS14_4.3_SUCCESS_UNRELIABLE_COMMAND_GBCS.HEX",
         "RTDS 4.5.0 has only the UNRELIABLE variant; the command does not depend on who answers it"),
    "GCS21f_4.11.1_SUCCESS_REQUEST_DUIS.XML":
        ("4.11.1_GCS21f/GCS21f_4.11.1_NOT_FOUND_COMMAND_GBCS.HEX",
         "RTDS 4.5.0 has no SUCCESS GCS21f; its NOT_FOUND test sends the same successful command"),
}


# RTDS commands the test harness sent through the ACB with the User as Supplementary Remote Party in
# other-information (a routing choice of the DCC, not part of the payload); the User-signed form the
# transform feeds has no SRP.  GCS15d's own NOT_FOUND command, sent by the Supplier directly, has none either.
SRP_ROUTED = {"GCS15d", "GCS31", "GCS36"}
SRP_DIFFERENCES = {"/other_information/supplementary_remote_party: absent != present",
                   "/other_information/supplementary_remote_party_counter: absent != present"}


# (cluster, frame control, command) of the components, for use cases RTDS has no SUCCESS command of
SHAPES = {
    "GCS04": [(0x0705, 0x01, 0x02)] * 3,  # Change Debt: time debt 1, time debt 2, payment debt
    "GCS17": [(0x0702, 0x01, 0x08)],  # Get Sampled Data
    "GCS25a": [(0x0700, 0x09, 0x09), (0x0700, 0x09, 0x01)],  # Publish Billing Period, Publish Block Period
}


def _parts(name: str) -> tuple[str, str, str]:
    """(use case, SRV, variant) of a template file name."""
    use_case, number, rest = name.split("_", 2)
    return use_case, number, rest.removesuffix("_REQUEST_DUIS.XML")


def _use_case(name: str) -> str:
    return _parts(name)[0].removesuffix("Commission")  # 8.1.1 commissioning uses GCS28 itself


def _body(path: Path) -> etree._Element:
    return etree.parse(str(path)).getroot().find("sr:Body", NS)[0]


def _context(path: Path, **extra: Any) -> TransformContext:
    root = etree.parse(str(path)).getroot()
    originator, target, counter = root.findtext("sr:Header/sr:RequestID", namespaces=NS).split(":")
    use_case = _use_case(path.name)
    number = _parts(path.name)[1]
    row = srv(number)
    code = row.message_codes[row.use_cases.index(use_case)]
    recipient = bytes.fromhex(target.replace("-", ""))
    executed = root.findtext("sr:Body/*/sr:ExecutionDateTime", namespaces=NS)
    when = datetime.fromisoformat(executed.replace("Z", "+00:00")).astimezone(UTC) if executed else None
    return TransformContext(srv=number, use_case=use_case, message_code=code, counter=int(counter),
                            originator=bytes.fromhex(originator.replace("-", "")), recipient=recipient,
                            device_type="GPF" if recipient == GPF_EUI else "GSME", execution_datetime=when,
                            extra=extra)


# what the DCC adds from its own records: GCS36's Customer Identification Number, GCS59's old GPF device log
DCC_DATA: dict[str, dict[str, Any]] = {
    "GCS36": {"customer_identification_number": "4821"},
    "GCS59": {"gpf_device_log": [("00DB1234567890A1", "GSME"), ("00DB1234567890A5", "PPMID")]},
}


def _transform(corpus: Path, name: str) -> Transformed:
    path = corpus / "duis" / "templates" / name
    return transform(_body(path), _context(path, **DCC_DATA.get(_use_case(name), {})))


def _role(name: str, result: Transformed) -> int:
    """The GBCS remote-party role the command travels under (requirements §1.1, §6.1)."""
    roles = srv(_parts(name)[1]).roles
    if result.other_information is not None and len(result.other_information) > 18:
        return 4  # a URP request: the ACB sends it on the Unknown Remote Party's behalf
    if roles & {UserRole.IS, UserRole.GS}:
        return 2
    if roles & {UserRole.ED, UserRole.GT}:
        return 3
    return 4  # OU / RSA Users: the ACB


def _frame(parties: RemoteParties, device: Device, name: str, result: Transformed, counter: int) -> bytes:
    return parties.command(device, result.message_code, result.payload, counter, signed=srv(_parts(name)[1]).critical,
                           role=_role(name, result), other_information=result.other_information)


def _reference(corpus: Path, name: str) -> tuple[Path | None, str]:
    if name in REFERENCES:
        ref, why = REFERENCES[name]
        return (corpus / "rtds" / ref if ref else None), why
    use_case, number, _ = _parts(name)
    command = name.replace("_REQUEST_DUIS.XML", "_COMMAND_GBCS.HEX")
    return corpus / "rtds" / f"{number}_{use_case}" / command, "same use case and variant"


def _device(parties: RemoteParties, corpus: Path, name: str) -> Device:
    """The template's target: the GPF (GCS09, GCS59, the RELIABLE reads it answers from its copy) or the GSME."""
    recipient = _context(corpus / "duis" / "templates" / name).recipient
    kind = "GPF" if recipient == GPF_EUI else "GSME"
    return create_device(kind, recipient, VirtualClock(START), parties.anchors)


def test_every_template_has_a_transform(corpus: Path) -> None:
    missing = {_use_case(name) for name in TEMPLATES} - registered_use_cases()
    assert TEMPLATES and not missing


@pytest.mark.parametrize("name", TEMPLATES)
def test_payload_matches_rtds_structure(corpus: Path, parties: RemoteParties, name: str) -> None:
    result = _transform(corpus, name)
    assert result.use_case == _use_case(name)
    device = _device(parties, corpus, name)
    mine = decode_message(_frame(parties, device, name, result, 1))
    assert mine["ok"], mine.get("error")
    reference, _why = _reference(corpus, name)
    if reference is None:  # no usable RTDS command: the GBCS layout, asserted directly
        shape = [(c["cluster"], c["zcl"]["frame_control"], c["zcl"]["command"]) for c in mine["payload"]["components"]]
        assert shape == SHAPES[_use_case(name)]
        assert [c["control"] for c in mine["payload"]["components"]] == [0] * (len(shape) - 1) + [1]
        return
    rtds = decode_message(bytes.fromhex(reference.read_text().strip()))
    if _use_case(name) == "GCS20":
        _align_event_configurations(mine, rtds)
    differences = compare_structure(mine, rtds)
    if _use_case(name) == "GCS59":
        # the device types are the content of the old GPF's log (DCC data), not structure
        differences = [d for d in differences if "/deviceType" not in d]
    if _use_case(name) in SRP_ROUTED:
        assert SRP_DIFFERENCES <= set(differences)
        differences = [d for d in differences if d not in SRP_DIFFERENCES]
    assert differences == []


def _align_event_configurations(mine: dict[str, Any], rtds: dict[str, Any]) -> None:
    """GCS20: same (configuration, events) groups as RTDS; then put ours in RTDS's order.

    DUIS lists alerts by code and GBCS does not order the Set Event Configuration commands;
    the transform groups in document order, the RTDS generator in another order.
    """
    def groups(tree: dict[str, Any]) -> dict[int, dict[str, Any]]:
        return {c["zcl"]["fields"]["event_configuration"]: c for c in tree["payload"]["components"]}

    ours, theirs = groups(mine), groups(rtds)
    assert {k: c["zcl"]["fields"]["configuration_payload"] for k, c in ours.items()} == \
        {k: c["zcl"]["fields"]["configuration_payload"] for k, c in theirs.items()}
    mine["payload"]["components"] = [ours[k] for k in theirs]
    for comp in mine["payload"]["components"]:
        comp["control"] &= ~1
    mine["payload"]["components"][-1]["control"] |= 1


def _failures(device: Device, parties: RemoteParties, response: bytes) -> list[Any]:
    tree = decode_message(response)
    assert tree["ok"], tree.get("error")
    payload = tree["payload"]
    if tree["payload_type"] == "asn1":
        value = payload["value"]
        codes = [value.get("responseCode")] + [o.get("restoreResult") for o in value.get("restoreOutcomes", [])]
        return [c for c in codes if c not in (None, 0) and not (isinstance(c, dict) and c.get("value") == 0)]
    checked = parties.check(device, response)
    plaintexts = iter(bytes.fromhex(d["plaintext"]) for d in checked.get("decrypted", []))
    out = []
    for comp in payload["components"]:
        zcl = comp["zcl"]
        if comp["control"] & 0x02:
            plaintext = next(plaintexts, None)
            if plaintext is None:  # encrypted to an Unknown Remote Party's key: the status is inside
                continue
            zcl = decode_zcl_payload(comp["cluster"], zcl["frame_control"], zcl["command"], plaintext)
        statuses = [r.get("status", 0) for r in zcl.get("records", [])]
        statuses.append((zcl.get("fields") or {}).get("status", 0))
        out += [(comp["cluster"], zcl.get("command"), s) for s in statuses if s]
    return out


NOT_FOUND = 0x8B
# Legitimate refusals of a fresh emulated device: (cluster, command) answered NOT_FOUND, and why
EMPTY_LOGS: dict[str, tuple[set[tuple[int, int]], str]] = {
    "GCS15d": ({(0x0705, 0x0B)}, "the emulated GSME collects no payment-based debt, so its repayment log is empty"),
    "GCS15e": ({(0x0705, 0x0B)}, "no top-up has been made to the fresh device: its top-up log is empty"),
    "GCS16b": ({(0x0705, 0x0B)}, "the 2-day window holds at most 3 daily snapshots; higher offsets are beyond them"),
    "GCS17": ({(0x0702, 0x0B)}, "the generic profiles' only standing sampling session is id 1: none is id 0"),
    "GCS21f": ({(0x0700, 0x0B)}, "no Publish Price has been sent to the fresh device"),
}


def _response(parties: RemoteParties, corpus: Path, device: Device, name: str, counter: int) -> list[Any]:
    result = _transform(corpus, name)
    out = device.handle(_frame(parties, device, name, result, counter))
    assert out.response is not None, device.security_log.entries() + device.event_log.entries()
    assert parse_frame(out.response).message_code == result.message_code
    return _failures(device, parties, out.response)



@pytest.mark.parametrize("name", TEMPLATES)
def test_emulated_device_accepts_the_command(corpus: Path, parties: RemoteParties, name: str) -> None:
    device = _device(parties, corpus, name)
    set_age(device, 400)  # commissioned long before the templates' log windows
    use_case = _use_case(name)
    if use_case == "GCS18":  # network data exist once GCS31 has started sampling and samples were taken
        assert _response(parties, corpus, device, "GCS31_14.1_SUCCESS_REQUEST_DUIS.XML", 900) == []
        device.clock.advance(4 * 3600)
    failures = _response(parties, corpus, device, name, 1000)
    allowed, _why = EMPTY_LOGS.get(use_case, (set(), ""))
    assert [f for f in failures if (f[0], f[1]) not in allowed or f[2] != NOT_FOUND] == []
    if use_case == "GCS16b":  # at least one daily snapshot lies in the window
        assert len(failures) < 31


# Catalogue use cases with no DUIS 5.4 template: bodies written here from the XSD, references from RTDS
EXTRA: dict[str, tuple[str, str, str]] = {
    "GCS07": ("3.1", "<DisplayMessage><SupplierMessage>Meter reading due</SupplierMessage></DisplayMessage>",
              "GCS07_3.1_SUCCESS"),
    "GCS11": ("3.5", "<DisablePrivacyPIN/>", "GCS11_3.5_SUCCESS"),
    "GCS16a": ("4.6.1", "<RetrieveImportDailyReadLog><ReadLogPeriod><StartDateTime>2014-12-20T00:00:00Z"
                        "</StartDateTime><EndDateTime>2015-01-01T00:00:00Z</EndDateTime></ReadLogPeriod>"
                        "</RetrieveImportDailyReadLog>", "GCS16a_4.6.1_SUCCESS"),
    "GCS20r": ("6.2.10", "<ReadDeviceConfigurationEventAndAlertBehaviours/>", "GCS20r_6.2.10_SUCCESS"),
    "GCS21b": ("4.13", "<ReadPrepaymentConfiguration/>", "GCS21b_4.13_SUCCESS"),
    "GCS21d": ("6.2.3", "<ReadDeviceConfigurationBillingCalendar/>", "GCS21d_6.2.3_SUCCESS"),
    "GCS21k": ("6.2.3", "<ReadDeviceConfigurationBillingCalendar/>", "GCS21k_6.2.3_SUCCESS"),
    "GCS21j": ("6.2.9", "<ReadDeviceConfigurationPaymentMode/>", "GCS21j_6.2.9_SUCCESS"),
    "GCS33": ("7.4", "<ReadSupplyStatus/>", "GCS33_7.4_SUCCESS"),
    "GCS40d": ("1.5", "<UpdateMeterBalance><CreditMode><ResetMeterBalance/></CreditMode></UpdateMeterBalance>",
               "GCS40d_1.5_SUCCESS"),
    "GCS41": ("6.20.1", "<SetDeviceConfigurationImportMPxN><ImportMPRN>7412589630</ImportMPRN>"
                        "</SetDeviceConfigurationImportMPxN>", "GCS41_6.20.1_SUCCESS"),
}


def body_of(xml: str) -> etree._Element:
    """A request body element from DUIS markup written without the namespace prefix."""
    return etree.fromstring(f'<Body xmlns="{DUIS_NS}">{xml}</Body>')[0]


def context_for(use_case: str, number: str, counter: int = 7, **extra: Any) -> TransformContext:
    row = srv(number)
    code = row.message_codes[row.use_cases.index(use_case)]
    return TransformContext(srv=number, use_case=use_case, message_code=code, counter=counter, originator=SUPPLIER,
                            recipient=GSME_EUI, device_type="GSME", extra=extra)


@pytest.mark.parametrize("use_case", sorted(EXTRA))
def test_catalogue_use_cases_without_template(corpus: Path, parties: RemoteParties, use_case: str) -> None:
    number, xml, reference = EXTRA[use_case]
    result = transform(body_of(xml), context_for(use_case, number))
    row = srv(number)
    role = 2 if row.roles & {UserRole.IS, UserRole.GS} else 3
    device = create_device("GSME", GSME_EUI, VirtualClock(START), parties.anchors)
    set_age(device, 400)
    message = parties.command(device, result.message_code, result.payload, 1, signed=row.critical, role=role)
    rtds = corpus / "rtds" / f"{number}_{use_case}" / f"{reference}_COMMAND_GBCS.HEX"
    assert compare_structure(decode_message(message), decode_message(bytes.fromhex(rtds.read_text().strip()))) == []
    out = device.handle(message)
    assert out.response is not None, device.security_log.entries()
    failures = _failures(device, parties, out.response)
    # GCS16a: the window holds 12 daily snapshots, offsets 12..30 lie beyond them
    allowed = {"GCS16a": {0x0702}}.get(use_case, set())
    assert [f for f in failures if f[0] not in allowed or f[2] != NOT_FOUND] == []
    assert len(failures) < len(decode_message(message)["payload"]["components"])  # some part was answered


def _zcl(name: str, corpus: Path) -> list[dict[str, Any]]:
    """The components of a template's transformed payload."""
    return decode_gbz(_transform(corpus, name).payload)["components"]


def _seconds(text: str) -> int:
    return int((datetime.fromisoformat(text.replace("Z", "+00:00")) - datetime(2000, 1, 1, tzinfo=UTC)).total_seconds())


def _template(corpus: Path, name: str) -> etree._Element:
    return _body(corpus / "duis" / "templates" / name)


def _values(body: etree._Element, xpath: str) -> list[str]:
    """The texts at ``xpath`` (``sr:`` prefixed) in document order, or in ``index`` order where indexed."""
    found = body.findall(xpath, NS)
    if all(e.get("index") for e in found):
        found.sort(key=lambda e: int(e.get("index")))
    return [(e.text or "").strip() for e in found]


def test_tariff_values_follow_the_body(corpus: Path) -> None:
    name = "GCS01a_1.1.1_FUTURE_DATED_BLOCK_SUCCESS_REQUEST_DUIS.XML"
    body, future = _template(corpus, name), _zcl(name, corpus)
    when = _seconds(_values(body, "sr:ExecutionDateTime")[0])
    assert {c["zcl"]["fields"]["start_time"] for c in future if "start_time" in c["zcl"]["fields"]} == {when}
    assert [p["price"] for p in future[-1]["zcl"]["fields"]["prices"]] == \
        [int(v) for v in _values(body, ".//sr:BlockPrice")]
    assert future[-2]["zcl"]["fields"]["block_thresholds"] == \
        [{"tier": 0, "thresholds": [int(v) for v in _values(body, ".//sr:BlockThreshold")]}]
    assert future[-3]["zcl"]["fields"]["currency"] == {"GBP": 826, "ECB": 978}[_values(body, ".//sr:CurrencyUnits")[0]]
    cancel = _zcl("GCS01a_1.1.1_CANCELLATION_BLOCK_SUCCESS_REQUEST_DUIS.XML", corpus)
    assert cancel[0]["zcl"]["fields"]["start_time"] == 0xFFFFFFFE  # 3000-12-31: cancel the pending calendar
    assert cancel[-3]["zcl"]["fields"]["start_time"] == 0xFFFFFFFF
    name = "GCS01b_1.2.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML"
    tou, count = _zcl(name, corpus), len(_values(_template(corpus, name), ".//sr:TOUPrice"))
    info, matrix = tou[0]["zcl"]["fields"], tou[1]["zcl"]["fields"]
    assert (info["start_time"], info["tariff_type"], info["number_of_price_tiers_in_use"]) == (0, 0x00, count)
    assert [p["tier_block_id"] for p in matrix["prices"]] == list(range(1, count + 1))
    assert matrix["sub_payload_control"] == 1


def test_prepayment_values_follow_the_body(corpus: Path) -> None:
    name = "GCS05_2.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML"
    body, future = _template(corpus, name), _zcl(name, corpus)
    low_credit = future[2]
    assert low_credit["control"] & 0x10 and low_credit["from_date_time"] == \
        _seconds(_values(body, "sr:ExecutionDateTime")[0])
    assert low_credit["zcl"]["fields"]["low_credit_warning_level"] == int(_values(body, ".//sr:LowCreditThreshold")[0])
    first_day = body.find(".//sr:GasNonDisablementDayProfile", NS)
    expected = [(int(t[:2]) * 60 + int(t[3:5]), {"START": 1, "STOP": 0}[a]) for t, a in
                zip(_values(first_day, ".//sr:StartTime"), _values(first_day, ".//sr:NonDisablementAction"),
                    strict=True)]
    assert [(e["start_time"], e["tier_or_state"]) for e in future[5]["zcl"]["fields"]["schedule_entries"]] == expected
    season = body.find(".//sr:Season/sr:SeasonStartDate", NS)
    year, month, day = (int(_values(season, f".//sr:{n}")[0]) for n in ("SpecifiedYear", "SpecifiedMonth",
                                                                         "SpecifiedDayOfMonth"))
    assert future[10]["zcl"]["fields"]["seasons"][0]["season_start_date"] == \
        bytes((year - 1900, month, day, 0xFF)).hex().upper()
    immediate = _zcl("GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML", corpus)
    assert immediate[2]["from_date_time"] == 0 and immediate[0]["zcl"]["fields"]["start_time"] == 0
    debt_body = _template(corpus, "GCS04_2.3_SUCCESS_REQUEST_DUIS.XML")
    debts = [c["zcl"]["fields"] for c in _zcl("GCS04_2.3_SUCCESS_REQUEST_DUIS.XML", corpus)]
    assert [d["debt_amount"] for d in debts] == [int(_values(debt_body, f"sr:{n}")[0]) for n in
                                                 ("TimeDebtRegister1", "TimeDebtRegister2", "PaymentDebtRegister")]
    assert [d["debt_recovery_frequency"] for d in debts[:2]] == \
        [{"HOURLY": 0, "DAILY": 1}[v] for v in _values(debt_body, ".//sr:DebtRecoveryRatePeriod")]
    assert [d["debt_recovery_amount"] for d in debts[:2]] == \
        [int(v) for v in _values(debt_body, ".//sr:DebtRecoveryRate")]
    assert (debts[2]["debt_recovery_method"], debts[2]["debt_recovery_balance_percentage"]) == \
        (1, int(_values(debt_body, "sr:DebtRecoveryPerPayment")[0]))
    name = "GCS40c_1.5_SUCCESS_REQUEST_DUIS.XML"
    adjust = _zcl(name, corpus)[0]["zcl"]["fields"]
    assert (adjust["credit_adjustment_type"], adjust["credit_adjustment_value"]) == \
        (3, int(_values(_template(corpus, name), ".//sr:AdjustMeterBalance")[0]))
    name = "GCS03_1.6_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML"
    body, mode = _template(corpus, name), _zcl(name, corpus)[0]["zcl"]["fields"]
    assert mode["implementation_date_time"] == _seconds(_values(body, "sr:ExecutionDateTime")[0])
    flags = [_values(body, f".//sr:{n}")[0] == "true" for n in ("SuspendDebtDisabled", "SuspendDebtEmergency")]
    assert mode["proposed_payment_control_configuration"] & 0x0C00 == flags[0] * 0x0400 | flags[1] * 0x0800


def test_configuration_values_follow_the_body(corpus: Path) -> None:
    name = "GCS23_6.6_SUCCESS_REQUEST_DUIS.XML"
    body, conversion = _template(corpus, name), [c["zcl"]["fields"] for c in _zcl(name, corpus)]
    assert conversion[0]["conversion_factor"] == int(Decimal(_values(body, "sr:ConversionFactor")[0]) * 10**5)
    assert conversion[1]["calorific_value"] == int(Decimal(_values(body, "sr:CalorificValue")[0]) * 10)
    name = "GCS24a_6.7_SUCCESS_REQUEST_DUIS.XML"
    flow = _zcl(name, corpus)[0]["zcl"]["fields"]
    rate = Decimal(_values(_template(corpus, name), "sr:UncontrolledGasFlowRateDecimal")[0])
    assert (Decimal(flow["uncontrolled_flow_threshold"]) / flow["divisor"], flow["divisor"]) == (rate, 10000)
    name = "GCS17_4.8.1_SUCCESS_REQUEST_DUIS.XML"
    start, end = (_seconds(v) for v in _values(_template(corpus, name), ".//sr:ReadLogPeriod/*"))
    profile = _zcl(name, corpus)[0]["zcl"]["fields"]
    assert (profile["earliest_sample_time"], profile["number_of_samples"]) == (start, (end - start) // 1800 + 1)
    name = "GCS25a_6.8_SUCCESS_REQUEST_DUIS.XML"
    billing = _zcl(name, corpus)[0]["zcl"]["fields"]
    months = {"Monthly": 1, "Quarterly": 3, "SixMonthly": 6, "Yearly": 12}[_values(_template(corpus, name),
                                                                                    ".//sr:Periodicity")[0]]
    assert (billing["billing_period_duration"], billing["billing_period_duration_type"] & 0x0F) == (months, 3)
    name = "GCS44_3.4_SUCCESS_REQUEST_DUIS.XML"
    supplier = _zcl(name, corpus)[0]["zcl"]["fields"]
    assert bytes.fromhex(supplier["proposed_provider_name"]).decode() == \
        _values(_template(corpus, name), "sr:SupplierName")[0]
    name = "GCS28_6.11_SUCCESS_REQUEST_DUIS.XML"
    body = _template(corpus, name)
    now = datetime.fromisoformat(_values(body, "sr:CurrentDateTime")[0].replace("Z", "+00:00"))
    later = now + timedelta(seconds=int(_values(body, "sr:TolerancePeriod")[0]))
    clock = decode_message(_frame_asn1(corpus, name))["payload"]["value"]
    assert clock == {"validityIntervalStart": now.strftime("%Y%m%d%H%M%SZ"),
                     "validityIntervalEnd": later.strftime("%Y%m%d%H%M%SZ")}


def _frame_asn1(corpus: Path, name: str) -> bytes:
    parties = RemoteParties(roles=(2, 4))
    device = create_device("GSME", GSME_EUI, VirtualClock(START), parties.anchors)
    return _frame(parties, device, name, _transform(corpus, name), 1)


def test_urp_requests_carry_the_certificate(corpus: Path) -> None:
    name = "GCS16b_4.14_URP_SUCCESS_REQUEST_DUIS.XML"
    path = corpus / "duis" / "templates" / name
    info = parse_other_information(_transform(corpus, name).other_information or b"")
    certificate = base64.b64decode(_body(path).findtext("sr:KAPublicSecurityCredentials", namespaces=NS))
    assert (info.message_code, info.supplementary_remote_party, info.certificate) == (0x0096, _context(path).originator,
                                                                                     certificate)
    assert _transform(corpus, "GCS16b_4.14_KRP_SUCCESS_REQUEST_DUIS.XML").other_information is None


BAD_BODIES = [
    ("GCS23", "6.6", "<UpdateDeviceConfigurationGasConversion><CalorificValue>39.25</CalorificValue>"
                     "<ConversionFactor>1.5</ConversionFactor></UpdateDeviceConfigurationGasConversion>",
     "CalorificValue"),
    ("GCS23", "6.6", "<UpdateDeviceConfigurationGasConversion><CalorificValue>38.5</CalorificValue>"
                     "</UpdateDeviceConfigurationGasConversion>", "missing element ConversionFactor"),
    ("GCS24", "6.7", "<UpdateDeviceConfigurationGasFlow><UncontrolledGasFlowRate>5</UncontrolledGasFlowRate>"
                     "<SupplyDepletionState>Unchanged</SupplyDepletionState><SupplyTamperState>Open"
                     "</SupplyTamperState><StabilisationPeriod>60</StabilisationPeriod><MeasurementPeriod>300"
                     "</MeasurementPeriod></UpdateDeviceConfigurationGasFlow>", "SupplyTamperState"),
    ("GCS24", "6.7", "<UpdateDeviceConfigurationGasFlow><UncontrolledGasFlowRate>5</UncontrolledGasFlowRate>"
                     "<SupplyDepletionState>Unchanged</SupplyDepletionState><SupplyTamperState>Locked"
                     "</SupplyTamperState><StabilisationPeriod>256</StabilisationPeriod><MeasurementPeriod>300"
                     "</MeasurementPeriod></UpdateDeviceConfigurationGasFlow>", "StabilisationPeriod"),
    ("GCS24a", "6.7", "<UpdateDeviceConfigurationGasFlow><UncontrolledGasFlowRate>5</UncontrolledGasFlowRate>"
                      "</UpdateDeviceConfigurationGasFlow>", "UncontrolledGasFlowRate"),
    ("GCS15b", "4.4.2", "<RetrieveCoMOrTariffTriggeredBillingDataLog/>", "missing element ReadLogPeriod"),
    ("GCS15b", "4.4.2", "<RetrieveCoMOrTariffTriggeredBillingDataLog><ReadLogPeriod><StartDateTime>"
                        "2015-02-01T00:00:00Z</StartDateTime><EndDateTime>2015-01-01T00:00:00Z</EndDateTime>"
                        "</ReadLogPeriod></RetrieveCoMOrTariffTriggeredBillingDataLog>", "EndDateTime"),
    ("GCS17", "4.8.1", "<ReadActiveImportProfileData><ReadLogPeriod><StartDateTime>1999-12-31T00:00:00Z"
                       "</StartDateTime><EndDateTime>2015-01-01T00:00:00Z</EndDateTime></ReadLogPeriod>"
                       "</ReadActiveImportProfileData>", "StartDateTime"),
    ("GCS16b", "4.14", "<ReadPrepaymentDailyReadLog><ReadLogPeriod><StartDateTime>2015-01-01T00:00:00Z"
                       "</StartDateTime><EndDateTime>2015-01-02T00:00:00Z</EndDateTime></ReadLogPeriod>"
                       "<KAPublicSecurityCredentials>not base64!</KAPublicSecurityCredentials>"
                       "</ReadPrepaymentDailyReadLog>", "KAPublicSecurityCredentials"),
    ("GCS40a", "1.5", "<UpdateMeterBalance><CreditMode><AdjustMeterBalance>5</AdjustMeterBalance></CreditMode>"
                      "</UpdateMeterBalance>", "CreditMode/AdjustMeterBalance is use case GCS40c"),
    ("GCS40a", "1.5", "<UpdateMeterBalance><PrepaymentMode><AdjustMeterBalance>2147483648</AdjustMeterBalance>"
                      "</PrepaymentMode></UpdateMeterBalance>", "AdjustMeterBalance"),
    ("GCS02", "1.6", "<UpdatePaymentMode><Prepayment><SuspendDebtDisabled>true</SuspendDebtDisabled>"
                     "<SuspendDebtEmergency>false</SuspendDebtEmergency><DisablementThreshold>0"
                     "</DisablementThreshold></Prepayment></UpdatePaymentMode>", "Prepayment"),
    ("GCS03", "1.6", "<UpdatePaymentMode><Prepayment><SuspendDebtDisabled>yes</SuspendDebtDisabled>"
                     "<SuspendDebtEmergency>false</SuspendDebtEmergency><DisablementThreshold>0"
                     "</DisablementThreshold></Prepayment></UpdatePaymentMode>", "SuspendDebtDisabled"),
    ("GCS02", "1.6", "<UpdatePaymentMode><ExecutionDateTime>tomorrow</ExecutionDateTime><Credit/>"
                     "</UpdatePaymentMode>", "ExecutionDateTime"),
    ("GCS04", "2.3", "<UpdateDebt><TimeDebtRegister1>1</TimeDebtRegister1><TimeDebtRegister2>1</TimeDebtRegister2>"
                     "<PaymentDebtRegister>1</PaymentDebtRegister><DebtRecoveryPerPayment>10001"
                     "</DebtRecoveryPerPayment></UpdateDebt>", "DebtRecoveryPerPayment"),
    ("GCS04", "2.3", "<UpdateDebt><TimeDebtRegister1>1</TimeDebtRegister1><TimeDebtRegister2>1</TimeDebtRegister2>"
                     "<PaymentDebtRegister>1</PaymentDebtRegister><DebtRecoveryPerPayment>10</DebtRecoveryPerPayment>"
                     "<GasDebtRecovery1><DebtRecoveryRate>5</DebtRecoveryRate><DebtRecoveryRatePeriod>WEEKLY"
                     "</DebtRecoveryRatePeriod></GasDebtRecovery1></UpdateDebt>", "DebtRecoveryRatePeriod"),
    ("GCS01b", "1.2.1", "<UpdatePricePrimaryElement><PriceElements><GasPriceElements><CurrencyUnits>USD"
                        "</CurrencyUnits><StandingCharge>1</StandingCharge><TOUTariff><TOUPrice index=\"1\">5"
                        "</TOUPrice></TOUTariff></GasPriceElements></PriceElements></UpdatePricePrimaryElement>",
     "CurrencyUnits"),
    ("GCS01b", "1.2.1", "<UpdatePricePrimaryElement><PriceElements><GasPriceElements><CurrencyUnits>GBP"
                        "</CurrencyUnits><StandingCharge>1</StandingCharge><TOUTariff><TOUPrice index=\"1\">5"
                        "</TOUPrice><TOUPrice index=\"1\">6</TOUPrice></TOUTariff></GasPriceElements>"
                        "</PriceElements></UpdatePricePrimaryElement>", "TOUPrice"),
    ("GCS01b", "1.2.1", "<UpdatePricePrimaryElement><PriceElements><GasPriceElements><CurrencyUnits>GBP"
                        "</CurrencyUnits><StandingCharge>1</StandingCharge></GasPriceElements></PriceElements>"
                        "</UpdatePricePrimaryElement>", "BlockTariff, TOUTariff"),
    ("GCS25a", "6.8", "<UpdateDeviceConfigurationBillingCalendar><GasBillingCalendar><BillingPeriodStart>"
                      "2015-01-01T00:00:00Z</BillingPeriodStart><Periodicity>Fortnightly</Periodicity>"
                      "</GasBillingCalendar></UpdateDeviceConfigurationBillingCalendar>", "Periodicity"),
    ("GCS20", "6.22", "<ConfigureAlertBehaviour><GasSupplierAlertEventSettings><x810E><WANAlert>Maybe</WANAlert>"
                      "<HANAlert>Enable</HANAlert><EventLog>Enable</EventLog><Alarm>Enable</Alarm></x810E>"
                      "</GasSupplierAlertEventSettings></ConfigureAlertBehaviour>", "WANAlert"),
    ("GCS20", "6.22", "<ConfigureAlertBehaviour><GasSupplierAlertEventSettings><x810E><WANAlert>Enable</WANAlert>"
                      "</x810E></GasSupplierAlertEventSettings></ConfigureAlertBehaviour>", "missing element HANAlert"),
    ("GCS28", "6.11", "<SynchroniseClock><CurrentDateTime>2015-01-01T00:00:00Z</CurrentDateTime><TolerancePeriod>-5"
                      "</TolerancePeriod></SynchroniseClock>", "TolerancePeriod"),
    ("GCS28", "6.11", "<SynchroniseClock><TolerancePeriod>5</TolerancePeriod></SynchroniseClock>",
     "missing element CurrentDateTime"),
    ("GCS59", "8.12.2", "<RestoreGPFDeviceLog><OldGPFID>00-DB-12</OldGPFID></RestoreGPFDeviceLog>", "OldGPFID"),
    ("GCS59", "8.12.2", "<RestoreGPFDeviceLog><OldGPFID>00-DB-12-34-56-78-90-C7</OldGPFID></RestoreGPFDeviceLog>",
     "gpf_device_log"),
    ("GCS36", "9.1", "<RequestCustomerIdentificationNumber/>", "customer_identification_number"),
    ("GCS44", "3.4", "<UpdateSupplierName><SupplierName>A very long supplier</SupplierName><SupplierTelephoneNumber>"
                     "0123</SupplierTelephoneNumber></UpdateSupplierName>", "SupplierName"),
    ("GCS44", "3.4", "<UpdateSupplierName><SupplierName>Gas Co</SupplierName><SupplierTelephoneNumber>call us"
                     "</SupplierTelephoneNumber></UpdateSupplierName>", "SupplierTelephoneNumber"),
    ("GCS09", "3.2", "<RestrictAccessForChangeOfTenancy/>", "missing element RestrictionDateTime"),
    ("GCS41", "6.20.1", "<SetDeviceConfigurationImportMPxN><ImportMPRN>12345678901</ImportMPRN>"
                        "</SetDeviceConfigurationImportMPxN>", "ImportMPRN"),
]


@pytest.mark.parametrize(("use_case", "number", "xml", "names"), BAD_BODIES,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD_BODIES)])
def test_bad_bodies_raise_naming_the_element(use_case: str, number: str, xml: str, names: str) -> None:
    with pytest.raises(TransformError, match=re.escape(names)) as caught:
        transform(body_of(xml), context_for(use_case, number))
    assert caught.value.use_case == use_case


def test_bad_calendars_raise_naming_the_element(corpus: Path) -> None:
    """Edits of the GCS05 template's non-disablement calendar (made in memory)."""
    path = corpus / "duis" / "templates" / "GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML"
    edits = {".//sr:NonDisablementAction": ("PAUSE", "NonDisablementAction"),
             ".//sr:TimeStartAction/sr:StartTime": ("08:00:30Z", "StartTime"),
             ".//sr:WeekProfile/sr:ReferencedDayName": ("5", "ReferencedDayName"),
             ".//sr:Season/sr:ReferencedWeekName": ("3", "ReferencedWeekName"),
             ".//sr:SpecifiedMonth": ("13", "SpecifiedMonth"),
             ".//sr:EmergencyCreditLimit": ("-1", "EmergencyCreditLimit")}
    for xpath, (value, names) in edits.items():
        body = _body(path)
        body.find(xpath, NS).text = value
        with pytest.raises(TransformError, match=names):
            transform(body, _context(path))


FUTURE_DATED = sorted(name for name in TEMPLATES if "_FUTURE_DATED" in name)
EXECUTED_ALERT = 0x8F66


def _executed(device: Device, since: int) -> list[dict[str, Any]]:
    alerts = [decode_message(m)["payload"] for m in device.outbox[since:]]
    return [a["alert_data"] for a in alerts if a.get("alert_code") == EXECUTED_ALERT]


@pytest.mark.parametrize("name", FUTURE_DATED)
def test_future_dated_commands_run_at_the_execution_time(corpus: Path, parties: RemoteParties, name: str) -> None:
    """The ExecutionDateTime reaches the device as the ZCL times / from-date-time: it acts then, and alerts."""
    path = corpus / "duis" / "templates" / name
    when = _context(path).execution_datetime
    assert when is not None
    device = _device(parties, corpus, name)
    result = _transform(corpus, name)
    assert _failures(device, parties, device.handle(_frame(parties, device, name, result, 2000)).response) == []
    before = len(device.outbox)
    device.clock.advance(when.timestamp() - device.now() - 60)
    assert _executed(device, before) == []
    device.clock.advance(120)
    executed = _executed(device, before)
    assert executed and {(a["message_code"], a["originator_counter"]) for a in executed} == {(result.message_code,
                                                                                             2000)}


@pytest.mark.parametrize("name", [n for n in FUTURE_DATED if n.replace("FUTURE_DATED", "CANCELLATION") in TEMPLATES])
def test_cancellation_withdraws_the_future_dated_command(corpus: Path, parties: RemoteParties, name: str) -> None:
    cancellation = name.replace("FUTURE_DATED", "CANCELLATION")
    when = _context(corpus / "duis" / "templates" / name).execution_datetime
    assert when is not None
    device = _device(parties, corpus, name)
    for counter, template in ((2000, name), (2001, cancellation)):
        out = device.handle(_frame(parties, device, template, _transform(corpus, template), counter))
        assert _failures(device, parties, out.response) == []
    before = len(device.outbox)
    device.clock.advance(when.timestamp() - device.now() + 60)
    assert _executed(device, before) == []
