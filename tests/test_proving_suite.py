"""The built-in Production Proving suite (proving.suite) and its XSD-driven bodies (proving.duis.instance),
validated against the real DUIS 5.4 XSD of the corpus."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from proving.catalogue import FutureDating, catalogue
from proving.duis import DuisSchemaError, RequestId, build_request, load_schema
from proving.duis.instance import generate_body, generate_value
from proving.duis.namespaces import SR, sr
from proving.duis.xsd_model import SimpleType, load_model
from proving.exclusions import exclusion
from proving.suite import DCC, INSTALL_CODE, builtin_suite, command_variant, pp_mpan, target_type

NOW = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)
PP_USER = "90-B3-D5-1F-3F-50-00-01"
DEVICES = {
    "ESME": "00-DB-12-34-56-78-90-A0",
    "GSME": "00-DB-12-34-56-78-90-A1",
    "CHF": "00-DB-12-34-56-78-90-A2",
    "GPF": "00-DB-12-34-56-78-90-A3",
    "PPMID": "00-DB-12-34-56-78-90-A4",
    "HCALCS": "00-DB-12-34-56-78-90-A5",
    "DCC": "90-B3-D5-1F-30-00-00-02",
}
SRVS = list(catalogue().values())
SAMPLE = ["1.1.1", "1.2.1", "2.1", "2.2", "3.4", "5.1", "6.14.2", "6.14.3", "6.22", "6.28", "7.16", "8.11", "8.14.2",
          "11.1", "12.2"]


@pytest.fixture(scope="module")
def xsd_dir(corpus: Path) -> Path:
    directory = corpus / "duis" / "xsd"
    if not directory.is_dir():
        pytest.skip(f"no DUIS XSD under {directory}")
    return directory


@pytest.fixture(scope="module")
def schema(xsd_dir: Path):  # noqa: ANN201 - proving.duis.DuisSchema
    return load_schema(xsd_dir)


def _request(srv_id: str, body: etree._Element, target: str = DEVICES["ESME"]) -> etree._Element:
    entry = catalogue()[srv_id]
    return build_request(RequestId(PP_USER, target, 1), srv_id, command_variant(entry), body)


def _texts(body: etree._Element, local: str) -> list[str]:
    return [node.text or "" for node in body.iter(sr(local))]


# -- generated bodies validate -------------------------------------------------------------------------------


@pytest.mark.parametrize("optional", [False, True], ids=["required-only", "all-optionals"])
@pytest.mark.parametrize("srv_id", [s.id for s in SRVS])
def test_every_srv_body_validates(xsd_dir: Path, schema, srv_id: str, optional: bool) -> None:
    body = generate_body(xsd_dir, catalogue()[srv_id].body, optional=optional, now=NOW)
    assert etree.QName(body).namespace == SR
    assert etree.QName(body).localname == catalogue()[srv_id].body
    schema.assert_valid(_request(srv_id, body))


@pytest.mark.parametrize("srv_id", [s.id for s in SRVS if s.future_dating is not FutureDating.NONE])
def test_future_dated_bodies_validate(xsd_dir: Path, schema, srv_id: str) -> None:
    when = NOW + timedelta(days=1)
    body = generate_body(xsd_dir, catalogue()[srv_id].body, execution_datetime=when, now=NOW)
    assert _texts(body, "ExecutionDateTime") == ["2026-11-22T08:30:00Z"]
    assert body[0].tag == sr("ExecutionDateTime")
    schema.assert_valid(_request(srv_id, body))


@settings(max_examples=60, deadline=None)
@given(srv_id=st.sampled_from(SAMPLE), seed=st.integers(min_value=0, max_value=2**32), optional=st.booleans())
def test_any_seed_gives_a_valid_body(xsd_dir: Path, schema, srv_id: str, seed: int, optional: bool) -> None:
    body = generate_body(xsd_dir, catalogue()[srv_id].body, seed=seed, optional=optional, now=NOW)
    schema.assert_valid(_request(srv_id, body))


@settings(max_examples=40, deadline=None)
@given(srv_id=st.sampled_from([s.id for s in SRVS]), seed=st.integers(min_value=1, max_value=2**32))
def test_any_seed_any_srv_gives_a_valid_body(xsd_dir: Path, schema, srv_id: str, seed: int) -> None:
    body = generate_body(xsd_dir, catalogue()[srv_id].body, seed=seed, now=NOW)
    schema.assert_valid(_request(srv_id, body))


def test_pattern_types_get_matching_values(xsd_dir: Path) -> None:
    model = load_model(xsd_dir)
    for name in ("RequestIDType", "ResponseIDType", "EUI", "DeviceIDList"):  # the named patterned types
        simple = model.type(etree.QName(SR, name))
        assert isinstance(simple, SimpleType)
        for seed in range(25):
            value = generate_value(xsd_dir, name, seed=seed, now=NOW)
            for step in simple.facets.patterns:
                assert any(re.fullmatch(p, value) for p in step), (name, seed, value)
            assert len(value) <= int(simple.facets.get("maxLength") or len(value))
            assert len(value) >= int(simple.facets.get("minLength") or 0)


# -- canonical (seed 0) instances ---------------------------------------------------------------------------


def test_seed_zero_is_deterministic_and_minimal(xsd_dir: Path) -> None:
    first = generate_body(xsd_dir, "UpdateHANDeviceLog", now=NOW)
    again = generate_body(xsd_dir, "UpdateHANDeviceLog", now=NOW)
    assert etree.tostring(first) == etree.tostring(again)
    assert [etree.QName(c).localname for c in first] == ["DeviceID", "RequestType"]  # no optional parts
    assert _texts(first, "RequestType") == ["Add"]  # the first enumeration value
    assert _texts(first, "DeviceID") == ["01-23-45-67-89-AB-CD-EF"]


def test_optional_includes_optional_parts_but_no_execution_datetime(xsd_dir: Path) -> None:
    body = generate_body(xsd_dir, "UpdateHANDeviceLog", optional=True, now=NOW)
    assert body.find(sr("AddDeviceToCHFWhitelist")) is not None
    assert _texts(body, "SecondaryImportMPAN")
    assert body.find(sr("ExecutionDateTime")) is None


def test_mandatory_execution_datetime_defaults_to_a_day_ahead(xsd_dir: Path) -> None:
    body = generate_body(xsd_dir, "ServiceOptOut", now=NOW)  # MandatoryFutureDatedAbstractType
    assert _texts(body, "ExecutionDateTime") == ["2026-11-22T08:30:00Z"]


def test_dates_are_near_now(xsd_dir: Path) -> None:
    for seed in range(10):
        body = generate_body(xsd_dir, "ReadEventOrSecurityLog", seed=seed, now=NOW)
        for local in ("StartDateTime", "EndDateTime"):
            (text,) = _texts(body, local)
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            assert NOW - timedelta(days=2, seconds=1) <= when <= NOW


def test_seeds_vary_the_instance(xsd_dir: Path) -> None:
    bodies = {etree.tostring(generate_body(xsd_dir, "CreateSchedule", seed=s, now=NOW)) for s in range(1, 8)}
    assert len(bodies) > 1


def test_unknown_body_is_rejected(xsd_dir: Path) -> None:
    with pytest.raises(DuisSchemaError):
        generate_body(xsd_dir, "NoSuchBody")


# -- hints ----------------------------------------------------------------------------------------------------


def test_hints_override_values_and_pull_in_optional_parts(xsd_dir: Path, schema) -> None:
    hints = {"AddDeviceToCHFWhitelist/InstallCode": INSTALL_CODE, "UpdateHANDeviceLog/DeviceID": DEVICES["PPMID"],
             "JoinTimePeriod": 90}
    body = generate_body(xsd_dir, "UpdateHANDeviceLog", hints=hints, now=NOW)
    assert _texts(body, "InstallCode") == [INSTALL_CODE.hex().upper()]
    assert len(bytes.fromhex(_texts(body, "InstallCode")[0])) == 16
    assert _texts(body, "DeviceID") == [DEVICES["PPMID"]]
    assert _texts(body, "JoinTimePeriod") == ["90"]
    assert _texts(body, "SecondaryImportMPAN") == []  # still no unhinted optional parts
    schema.assert_valid(_request("8.11", body, DEVICES["CHF"]))


def test_hints_steer_choices_and_set_attributes(xsd_dir: Path, schema) -> None:
    body = generate_body(xsd_dir, "SetDeviceConfigurationImportMPxN", hints={"ImportMPRN": "10001"}, now=NOW)
    assert _texts(body, "ImportMPRN") == ["10001"] and body.find(sr("ImportMPANs")) is None
    schema.assert_valid(_request("6.20.1", body, DEVICES["GSME"]))
    body = generate_body(xsd_dir, "LimitAPCLevel", hints={"@auxiliaryControllerN": 3, "CommandedStateLevel": 50},
                         now=NOW)
    assert body.get("auxiliaryControllerN") == "3"
    assert _texts(body, "CommandedStateLevel") == ["50"]
    schema.assert_valid(_request("7.16", body))


def test_hint_values_are_formatted(xsd_dir: Path) -> None:
    when = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    body = generate_body(xsd_dir, "SynchroniseClock", hints={"CurrentDateTime": when}, now=NOW)
    assert _texts(body, "CurrentDateTime") == ["2026-12-01T00:00:00Z"]


def test_unused_or_misplaced_hints_are_errors(xsd_dir: Path) -> None:
    with pytest.raises(ValueError, match="NoSuchElement"):
        generate_body(xsd_dir, "TopUpDevice", hints={"NoSuchElement": "1"})
    with pytest.raises(ValueError, match="element content"):
        generate_body(xsd_dir, "UpdateHANDeviceLog", hints={"AddDeviceToCHFWhitelist": "x"})


# -- the suite ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def suite(xsd_dir: Path):  # noqa: ANN201 - list[SuiteRequest]
    return builtin_suite(xsd_dir, now=NOW, devices=DEVICES)


def test_one_immediate_request_per_srv(suite) -> None:
    immediate = [r for r in suite if not r.future_dated]
    assert len(immediate) == len(catalogue()) == 129
    assert [r.name for r in immediate] == list(catalogue())
    assert [r.srv.id for r in immediate] == list(catalogue())


def test_future_dated_requests_for_device_future_dating(suite) -> None:
    future = [r for r in suite if r.future_dated]
    expected = [s.id for s in SRVS if s.future_dating is FutureDating.DEVICE and exclusion(s.id) is None]
    assert [r.srv.id for r in future] == expected
    assert len(suite) == 129 + len(expected)
    for request in future:
        assert request.name == f"{request.srv.id}-future"
        assert request.execution_datetime == NOW + timedelta(days=1)
        assert _texts(request.body, "ExecutionDateTime") == ["2026-11-22T08:30:00Z"]
    assert all(r.body.find(sr("ExecutionDateTime")) is None for r in suite if not r.future_dated and r.body is not None
               and not r.srv.non_device and r.srv.id != "8.5")


def test_excluded_srvs_are_listed_flagged_and_have_no_body(suite) -> None:
    excluded = {r.name: r for r in suite if r.excluded}
    assert set(excluded) == {"6.15.1", "6.15.2", "6.21", "6.23"}
    for request in excluded.values():
        assert request.body is None
        assert "Section P" in (request.refusal_text or "")
    assert all(r.body is not None and r.refusal_text is None for r in suite if not r.excluded)


def test_command_variants_and_targets(suite) -> None:
    for request in suite:
        srv = request.srv
        expected_cv = 4 if srv.critical else 8 if srv.non_device else 1
        assert request.command_variant == expected_cv
        if srv.non_device:
            assert request.target == DCC and request.device_id == DEVICES["DCC"]
        else:
            assert request.target in srv.devices and request.device_id == DEVICES[request.target]
        assert request.supported
    by_name = {r.name: r for r in suite}
    assert by_name["4.1.1"].target == "ESME" and by_name["4.1.4"].target == "GSME"
    assert by_name["6.28"].target == "CHF" and by_name["8.12.2"].target == "GPF"


def test_target_falls_back_to_the_devices_available(xsd_dir: Path) -> None:
    gas_only = {"GSME": DEVICES["GSME"]}
    assert target_type(catalogue()["4.1.1"], gas_only) == "GSME"
    assert target_type(catalogue()["6.28"], gas_only) == "CHF"
    requests = {r.name: r for r in builtin_suite(xsd_dir, now=NOW, devices=gas_only)}
    assert requests["4.1.1"].supported and requests["4.1.1"].device_id == DEVICES["GSME"]
    assert not requests["6.28"].supported and requests["6.28"].device_id is None


def test_every_suite_body_validates(suite, schema) -> None:
    sent = [r for r in suite if not r.excluded]
    for request in sent:
        target = request.device_id or DEVICES["DCC"]
        xml = build_request(RequestId(PP_USER, target, 1), request.srv.id, request.command_variant, request.body)
        schema.assert_valid(xml)
    assert len(sent) == len(suite) - 4


def test_suite_bodies_carry_lab_values(suite) -> None:
    by_name = {r.name: r for r in suite}
    whitelist = by_name["8.11"].body
    assert _texts(whitelist, "InstallCode") == [INSTALL_CODE.hex().upper()] and len(INSTALL_CODE) == 16
    assert _texts(whitelist, "DeviceID") == [DEVICES["PPMID"]]
    assert _texts(by_name["8.7.1"].body, "OtherDeviceID") == [DEVICES["PPMID"]]
    assert _texts(by_name["8.14.1"].body, "DeviceID") == [DEVICES["CHF"]]
    assert _texts(by_name["8.14.1"].body, "MPxN") == [pp_mpan(1)]
    assert _texts(by_name["6.20.1"].body, "ImportMPAN") == [pp_mpan(1)]
    assert _texts(by_name["11.1"].body, "DeviceIDList") == [DEVICES["ESME"]]
    assert pp_mpan(1).startswith("00") and len(pp_mpan(1)) == 13
