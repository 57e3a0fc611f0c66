"""DUIS -> GBCS transforms of the ESME DLMS use cases ECS01a..ECS26x (tariffs, prepayment, debt, reads, logs).

For every DUIS 5.4 template of the family: the payload decodes and has the structure of the RTDS
4.5.0 SUCCESS command of the same use case and variant; framed as the DCC would (signed when
critical, under the GBCS role of an eligible User) an emulated ESME accepts it; and bad bodies
raise TransformError naming the element.  The corpus is read in place, never copied.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import corpus_root
from lxml import etree

from emulator.clock import VirtualClock
from emulator.conformance import compare_structure
from emulator.kinds import create_device
from emulator.testkit import RemoteParties
from gbcs.codes import message_codes
from gbcs.message import decode_message
from proving.catalogue import srv
from proving.transform import TransformContext, Transformed, TransformError, transform
from proving.transform.registry import DUIS_NS

FAMILY = re.compile(r"^(ECS(?:0\d|1\d|2[0-6])(?:[a-z]\d?)?)_([\d.]+?)\.?_(.*)_REQUEST_DUIS\.XML$")
ESME_EUI = bytes.fromhex("00DB1234567890E5")
START = "2026-01-05T10:00:00Z"
CODES = {mc.use_case: code for code, mc in message_codes().items()}
NETWORK_OPERATOR_USE_CASES = frozenset({"ECS25b", "ECS25b3", "ECS25r2"})  # objects of the NO (0-33:97.98.x)

# Documented RTDS 4.5.0 / DUIS 5.4 differences: (class, OBIS, member) instructions of the RTDS command
# that carry no DUIS 5.4 data and are therefore not sent; the rest of the command is compared.
NOT_IN_DUIS: dict[str, set[tuple[int, str, int]]] = {
    # the debt recovery rate cap period (and its activation time): DUIS 5.4 UpdatePrepayConfigElec has no period
    "ECS08": {(9000, "0-0:94.44.128.13", 4), (9000, "0-0:94.44.128.13", 6)},
    "ECS08a": {(9000, "0-0:94.44.128.13", 4), (9000, "0-0:94.44.128.13", 6)},
}
# Templates whose RTDS command disagrees with the other RTDS variants on an array length: compared
# with array_lengths=False (the entries both sides have must still agree).
LENGTH_TOLERANT = {
    # RTDS ECS03 FUTURE_DATED_TWIN lists 12 credit/charge pairs, CANCELLATION_TWIN 15 and IMMEDIATE_SINGLE 13:
    # the future-dated one lacks the three debt-credit (0-0:19.10.2) pairs the others have
    "ECS03_1.6_FUTURE_DATED_TWIN_SUCCESS_REQUEST_DUIS.XML",
}
# RTDS 4.5.0 has only ERROR commands (never used as references) for ECS02, ECS10, ECS17a, ECS18b, ECS21c,
# ECS25r1, ECS26e and ECS26l: their templates are checked end to end only.


def _templates() -> list[str]:
    root = corpus_root()
    if root is None:
        return []
    return sorted(p.name for p in (root / "duis" / "templates").glob("*.XML") if FAMILY.match(p.name))


def _sr(name: str) -> str:
    return f"{{{DUIS_NS}}}{name}"


def _body(path: Path) -> tuple[etree._Element, str]:
    doc = etree.parse(str(path))
    srv_id = doc.find(f"{_sr('Header')}/{_sr('ServiceReferenceVariant')}").text.strip()
    return doc.find(_sr("Body"))[0], srv_id


def _role(use_case: str, srv_id: str) -> int:
    """The GBCS remote-party role of an eligible User (requirements.md 1.1, 6.1).

    A supplier User (IS, GS) signs as Supplier (2); ED/GT as Network Operator (3), chosen when
    the SRV has no supplier role or the use case writes the network operator's objects; other
    Users (ES, OU, RSA) go out under the ACB (4).
    """
    roles = {r.value for r in srv(srv_id).roles}
    if use_case in NETWORK_OPERATOR_USE_CASES or not roles & {"IS", "GS"} and roles & {"ED", "GT"}:
        return 3
    return 2 if roles & {"IS", "GS"} else 4


def _execution(body: etree._Element) -> datetime | None:
    raw = body.findtext(_sr("ExecutionDateTime")) or body.findtext(_sr("ScheduleStartDate"))
    if not raw:
        return None
    raw = raw.strip().rstrip("Z")
    try:
        value = datetime.fromisoformat(raw if "T" in raw else raw + "T00:00:00")
    except ValueError:  # a bad body: the transform itself must report it
        return None
    return value.replace(tzinfo=UTC)


def _timing(variant: str) -> str:
    return "CANCELLATION" if "CANCELLATION" in variant else "FUTURE_DATED" if "FUTURE_DATED" in variant else "NOW"


def _reference(corpus: Path, use_case: str, variant: str) -> Path | None:
    """The RTDS SUCCESS command of the use case and variant (exact variant, else the same timing)."""
    commands = sorted((corpus / "rtds").glob(f"*_{use_case}/{use_case}_*_SUCCESS_COMMAND_GBCS.HEX"))
    wanted = variant.replace("_SUCCESS", "").removesuffix("SUCCESS").strip("_")
    for path in commands:
        if path.name.split("_", 2)[2].removesuffix("_SUCCESS_COMMAND_GBCS.HEX") == wanted:
            return path
    same_timing = [p for p in commands if _timing(p.name) == _timing(variant)]
    return same_timing[0] if same_timing else None


def _context(use_case: str, srv_id: str, variant: str, body: etree._Element, parties: RemoteParties,
             counter: int) -> TransformContext:
    return TransformContext(
        srv=srv_id, use_case=use_case, message_code=CODES[use_case], counter=counter,
        originator=parties.eui[_role(use_case, srv_id)], recipient=ESME_EUI, device_type="ESME",
        execution_datetime=_execution(body),
        extra={"twin_element": "TWIN" in variant, "via_acb": _role(use_case, srv_id) == 4},
    )


def _drop(tree: dict[str, Any], dropped: set[tuple[int, str, int]]) -> dict[str, Any]:
    payload = tree["payload"]
    keep = [i for i, r in enumerate(payload["requests"])
            if (r["class_id"], r["obis"], r.get("attribute", r.get("method"))) not in dropped]
    payload["requests"] = [payload["requests"][i] for i in keep]
    payload["data"] = [payload["data"][i] for i in keep]
    return tree


def _results(tree: dict[str, Any]) -> list[int]:
    return [r["result"] for r in tree["payload"]["results"]]


@pytest.fixture
def esme(parties: RemoteParties):  # noqa: ANN201 - emulator.device.Device
    return create_device("ESME", ESME_EUI, VirtualClock(START), parties.anchors)


@pytest.mark.parametrize("name", _templates())
def test_template_transforms_to_the_rtds_structure_and_the_esme_accepts_it(
    name: str, corpus: Path, parties: RemoteParties, esme: Any
) -> None:
    use_case, _srv, variant = FAMILY.match(name).groups()
    body, srv_id = _body(corpus / "duis" / "templates" / name)
    counter = 1000 + _templates().index(name)
    ctx = _context(use_case, srv_id, variant, body, parties, counter)
    out = transform(body, ctx)
    assert isinstance(out, Transformed) and out.use_case == use_case and out.payload_type == "dlms"
    assert out.message_code == CODES[use_case]
    critical = srv(srv_id).critical
    # a URP read (4.14) goes out from the DCC's ACB with the User as Supplementary Remote Party
    role = 4 if out.other_information else _role(use_case, srv_id)
    command = parties.command(esme, out.message_code, out.payload, counter, role=role, signed=critical,
                              other_information=out.other_information)
    ours = decode_message(command)
    assert ours["ok"], ours["error"]

    # (1) the structure of the RTDS command of the same use case and variant
    reference_path = _reference(corpus, use_case, variant)
    if reference_path is not None:
        reference = decode_message(bytes.fromhex(reference_path.read_text().strip()))
        if use_case in NOT_IN_DUIS:
            reference = _drop(reference, NOT_IN_DUIS[use_case])
        lengths = name not in LENGTH_TOLERANT
        assert compare_structure(ours, reference, array_lengths=lengths) == [], reference_path.name

    # (2) end to end: the emulated ESME executes it without failure
    response = esme.handle(command).response
    assert response is not None, esme.security_log.entries() + esme.event_log.entries()
    tree = decode_message(response)
    assert tree["ok"], tree["error"]
    assert set(_results(tree)) == {0}, (_results(tree), esme.event_log.entries())


# ------------------------------------------------------------------ use cases of the family without a DUIS template


def _element(name: str, *children: Any, value: str | None = None) -> etree._Element:
    element = etree.Element(_sr(name), nsmap={"sr": DUIS_NS})
    element.text = value
    for item in children:
        element.append(item)
    return element


def _period(start: str, end: str) -> etree._Element:
    return _element("ReadLogPeriod", _element("StartDateTime", value=start), _element("EndDateTime", value=end))


# use case -> (SRV, synthetic DUIS body, target device kind): bodies written here from the XSD
SYNTHETIC: dict[str, tuple[str, etree._Element, str]] = {
    "ECS04b": ("1.5", _element("UpdateMeterBalance", _element("PrepaymentMode", _element("ResetMeterBalance"))),
               "ESME"),
    "ECS15c": ("3.3", _element("ClearEventLog", _element("ESMEEventLogType", value="ALCS")), "ESME"),
    "ECS16": ("3.4", _element("UpdateSupplierName", _element("SupplierName", value="Example Energy"),
                              _element("SupplierTelephoneNumber", value="0100 000 0000")), "ESME"),
    "ECS20a": ("4.4.4", _element("RetrieveBillingDataLogDebtPayments",
                                 _period("2025-11-01T00:00:00Z", "2025-12-01T00:00:00Z")), "ESME"),
    "ECS23": ("4.10", _element("ReadNetworkData", _period("2025-12-30T00:00:00Z", "2026-01-01T00:00:00Z")), "ESME"),
    "ECS23b": ("4.10", _element("ReadNetworkData", _period("2025-12-30T00:00:00Z", "2026-01-01T00:00:00Z")),
               "ESME"),
    "ECS25a3": ("6.22", _element("ConfigureAlertBehaviour", _element(
        "ElectricitySupplierLoggingSettings", _element("SupplierESMECommon", _element("x810D", value="Disable")))),
        "ESME"),
    "ECS26i": ("6.2.4", _element("ReadDeviceConfigurationIdentityExcMPxN"), "CHF"),
    "ECS26k": ("6.2.1", _element("ReadDeviceConfigurationVoltage"), "ESME"),
    "ECS26n": ("6.2.4", _element("ReadDeviceConfigurationIdentityExcMPxN"), "CHF"),
}
CHF_EUI = bytes.fromhex("00DB1234567890E6")


@pytest.mark.parametrize("use_case", sorted(SYNTHETIC))
def test_use_cases_without_a_template(use_case: str, corpus: Path, parties: RemoteParties) -> None:
    srv_id, body, kind = SYNTHETIC[use_case]
    eui = CHF_EUI if kind == "CHF" else ESME_EUI
    device = create_device(kind, eui, VirtualClock(START), parties.anchors)
    user_role = _role(use_case, srv_id)
    ctx = TransformContext(srv=srv_id, use_case=use_case, message_code=CODES[use_case], counter=77,
                           originator=parties.eui[user_role], recipient=eui, device_type=kind)
    out = transform(body, ctx)
    # all CHF operations go out under the ACB, the User named as Supplementary Remote Party
    role = 4 if out.other_information else user_role
    command = parties.command(device, out.message_code, out.payload, 77, role=role, signed=srv(srv_id).critical,
                              other_information=out.other_information)
    ours = decode_message(command)
    reference = _reference(corpus, use_case, "")
    if use_case == "ECS16":  # RTDS 4.5.0 has only an ERROR command for ECS16: nothing to compare with
        assert reference is None
    else:
        reference_tree = decode_message(bytes.fromhex(reference.read_text().strip()))
        assert compare_structure(ours, reference_tree) == [], reference.name
    response = device.handle(command).response
    assert response is not None, device.security_log.entries() + device.event_log.entries()
    assert set(_results(decode_message(response))) == {0}, device.event_log.entries()


# ------------------------------------------------------------------ bad bodies


def _template_body(corpus: Path, name: str) -> tuple[etree._Element, str]:
    return _body(corpus / "duis" / "templates" / name)


def _set(body: etree._Element, path: str, value: str) -> None:
    element = body.find("/".join(f"{{{DUIS_NS}}}{part}" for part in path.split("/")))
    element.text = value


def _remove(body: etree._Element, path: str) -> None:
    element = body.find(".//" + "/".join(f"{{{DUIS_NS}}}{part}" for part in path.split("/")))
    element.getparent().remove(element)


# (template, edit, words the TransformError must contain)
BAD_BODIES = [
    ("ECS04a_1.5_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "PrepaymentMode/AdjustMeterBalance", "2147483648"),
     "AdjustMeterBalance"),
    ("ECS04a_1.5_SUCCESS_REQUEST_DUIS.XML", lambda b: _remove(b, "AdjustMeterBalance"), "AdjustMeterBalance"),
    ("ECS07_2.3_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "DebtRecoveryPerPayment", "10001"),
     "DebtRecoveryPerPayment"),
    ("ECS07_2.3_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "ElecDebtRecovery2/DebtRecoveryRatePeriod", "WEEKLY"),
     "DebtRecoveryRatePeriod"),
    ("ECS07_2.3_SUCCESS_REQUEST_DUIS.XML", lambda b: _remove(b, "ElecDebtRecovery1"), "ElecDebtRecovery1"),
    ("ECS10_3.1_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "SupplierMessage", "x" * 117), "SupplierMessage"),
    ("ECS10_3.1_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "SupplierMessage", "caf\u00e9"), "SupplierMessage"),
    ("ECS12_3.2_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "RestrictionDateTime", "yesterday"),
     "RestrictionDateTime"),
    ("ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "Prepayment/SuspendDebtDisabled", "yes"),
     "SuspendDebtDisabled"),
    ("ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML", lambda b: _remove(b, "DisablementThreshold"),
     "DisablementThreshold"),
    ("ECS08_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML",
     lambda b: _set(b, "UpdatePrepayConfigElectricity/DebtRecoveryRateCap", "65536"), "DebtRecoveryRateCap"),
    ("ECS08_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML", lambda b: _remove(b, "ElectricitySpecialDays"),
     "ElectricitySpecialDays"),
    ("ECS08_2.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "ExecutionDateTime", "2030-13-01T00:00Z"),
     "ExecutionDateTime"),
    ("ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML",
     lambda b: _set(b, "ElecTariffElements/CurrencyUnits", "USD"), "CurrencyUnits"),
    ("ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML", lambda b: _remove(b, "ThresholdMatrix"),
     "ThresholdMatrix"),
    ("ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML", lambda b: _remove(b, "Thresholds"), "Thresholds"),
    ("ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "ElecTariffElements/SwitchingTable/"
     "DayProfiles/DayProfile/ProfileSchedule/TOUTariffAction", "49"), "TOUTariffAction"),
    ("ECS01b_1.2.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML",
     lambda b: _set(b, "PriceElements/ElectricityPriceElements/TOUTariff/TOUPrice", "40000"), "TOUPrice"),
    ("ECS01d_1.2.2_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML", lambda b: _remove(b, "PriceScale"), "PriceScale"),
    ("ECS20b_4.4.2_TWIN_SUCCESS_REQUEST_DUIS.XML", lambda b: _remove(b, "ReadLogPeriod"), "ReadLogPeriod"),
    ("ECS22c_4.8.2_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "ReadLogPeriod/StartDateTime", "2015-01-01T00:00:00Z"),
     "StartDateTime"),
    ("ECS22a_4.8.3_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "ReadLogPeriod/StartDateTime", "1999-01-01T00:00:00Z"),
     "ReadLogPeriod"),
    ("ECS21b_4.14_URP_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "KAPublicSecurityCredentials", "not base64!"),
     "KAPublicSecurityCredentials"),
    ("ECS25a_6.22_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "ElectricitySupplierAlerts/SupplierESMECommon/x810D",
                                                            "On"), "x810D"),
    ("ECS25b_6.22_SUCCESS_REQUEST_DUIS.XML", lambda b: _remove(b, "ElectricityNetworkOperatorAlerts"),
     "ElectricityNetworkOperatorAlerts"),
    ("ECS15a_3.3_SUCCESS_REQUEST_DUIS.XML", lambda b: _set(b, "ESMEEventLogType", "ALCS"), "ESMEEventLogType"),
]


@pytest.mark.parametrize(("name", "edit", "words"), BAD_BODIES,
                         ids=[f"{n.split('_')[0]}-{w}" for n, _, w in BAD_BODIES])
def test_bad_bodies_raise_transform_error_naming_the_element(
    name: str, edit: Any, words: str, corpus: Path, parties: RemoteParties
) -> None:
    body, srv_id = _template_body(corpus, name)
    use_case, _srv, variant = FAMILY.match(name).groups()
    edit(body)
    ctx = _context(use_case, srv_id, variant, body, parties, 5)
    with pytest.raises(TransformError) as caught:
        transform(body, ctx)
    assert words in str(caught.value) and caught.value.use_case == use_case


def test_a_dcc_schedule_needs_its_execution_date(corpus: Path, parties: RemoteParties) -> None:
    body, srv_id = _template_body(corpus, "ECS21a_5.1._DCC_SCHEDULED_REQUEST_DUIS.XML")
    ctx = TransformContext(srv=srv_id, use_case="ECS21a", message_code=CODES["ECS21a"], counter=9,
                           originator=parties.eui[2], recipient=ESME_EUI, device_type="ESME")
    with pytest.raises(TransformError, match="execution date-time"):
        transform(body, ctx)


def test_execution_date_time_selects_now_a_date_or_never(corpus: Path, parties: RemoteParties) -> None:
    """Immediate: COSEM "now"; future-dated: the ExecutionDateTime; 3000-12-31: "never" (cancellation)."""
    activation = []
    for variant in ("IMMEDIATE", "FUTURE_DATED", "CANCELLATION"):
        name = f"ECS08_2.1_{variant}_SUCCESS_REQUEST_DUIS.XML"
        body, srv_id = _template_body(corpus, name)
        out = transform(body, _context("ECS08", srv_id, variant, body, parties, 3))
        payload = decode_message(parties.command(
            create_device("ESME", ESME_EUI, VirtualClock(START), parties.anchors), out.message_code, out.payload, 3,
            signed=True))["payload"]
        activation.append(payload["data"][-1]["value"])
    assert activation[0] == "0000000000000000008000FF"
    assert activation[1] == "07EE010FFF090000008000FF"  # 2030-01-15 09:00:00 UTC of the template body
    assert activation[2] == "FFFFFFFFFFFFFFFFFF8000FF"


def test_absent_optional_event_log_type_clears_the_esme_log(parties: RemoteParties) -> None:
    body = _element("ClearEventLog")
    ctx = TransformContext(srv="3.3", use_case="ECS15a", message_code=CODES["ECS15a"], counter=4,
                           originator=parties.eui[2], recipient=ESME_EUI, device_type="ESME")
    assert transform(body, ctx).payload == transform(
        _element("ClearEventLog", _element("ESMEEventLogType", value="ESME")), ctx).payload


def test_a_message_code_that_is_not_the_use_cases_is_refused(parties: RemoteParties) -> None:
    ctx = TransformContext(srv="6.2.9", use_case="ECS26j", message_code=CODES["ECS26f"], counter=4,
                           originator=parties.eui[2], recipient=ESME_EUI, device_type="ESME")
    with pytest.raises(TransformError, match="message code"):
        transform(_element("ReadDeviceConfigurationPaymentMode"), ctx)
