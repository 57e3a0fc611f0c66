"""SEC Section P rules: exclusions, PP ID range, PP identities, dummy Registration Data, entry-test gating."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proving.catalogue import UserRole, catalogue
from proving.entry_tests import EntryTestRegister
from proving.eui import EuiRange, eui_int, eui_str
from proving.exclusions import RefusedRequest, ensure_not_excluded, exclusion
from proving.parties import ProvingIdentityError, ProvingParties, ProvingParty
from proving.pp_ids import (
    DEFAULT_PP_RANGE,
    IdOverlapError,
    check_pp_range,
    find_overlaps,
    in_pp_range,
    pp_range_from_config,
)
from proving.registration import (
    PP_GSP_GROUP,
    PP_LDZ,
    Fuel,
    RealLookingDataError,
    RegistrationData,
    generate,
    mpan_check_digit,
    problems,
    validate_dummy,
)
from proving.section_p import SectionP

# DCC Boxed / RTDS identities (dcc-boxed-interface.md §5)
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
ACB = "90-B3-D5-1F-30-00-00-02"
ESME = "00-DB-12-34-56-78-90-A0"

PP_IS = "90-B3-D5-1F-3F-00-00-01"
PP_GS = "90-B3-D5-1F-3F-00-00-02"
PP_ED = "90-B3-D5-1F-3F-00-00-03"


def _parties(**kwargs: object) -> ProvingParties:
    return ProvingParties(
        DEFAULT_PP_RANGE,
        [ProvingParty(UserRole.IS, PP_IS, "9001"), ProvingParty(UserRole.GS, PP_GS, "9002"),
         ProvingParty(UserRole.ED, PP_ED, "9003")],
        {"electricity": "9101", "gas": "9102"},
        **kwargs,  # type: ignore[arg-type]
    )


def _gate(passed_roles: tuple[str, ...] = ("IS", "GS", "ED")) -> SectionP:
    tests = EntryTestRegister()
    for i, role in enumerate(passed_roles):
        tests.record(role, f"run-{i}", passed=True, completed_at="2026-11-20T10:00:00Z")
    return SectionP(_parties(user_ids=[SUPPLIER]), tests, dcc_ids=[ACB], user_ids={"supplier": SUPPLIER},
                    device_ids=[ESME])


# --- EUI-64 helpers ---------------------------------------------------------------------------------


def test_eui_round_trip_and_rejects() -> None:
    assert eui_str("90-b3-d5-1f-30-01-00-00") == SUPPLIER
    assert eui_str(bytes.fromhex("90B3D51F30010000")) == SUPPLIER
    assert eui_int(SUPPLIER) == 0x90B3D51F30010000
    for bad in ("90B3D51F30010000", "90-B3-D5-1F-30-01-00", b"\x00" * 7, -1, 1 << 64):
        with pytest.raises(ValueError):
            eui_int(bad)  # type: ignore[arg-type]


def test_eui_range() -> None:
    r = EuiRange.of("00-00-00-00-00-00-00-10", "00-00-00-00-00-00-00-1F")
    assert len(r) == 16 and "00-00-00-00-00-00-00-1F" in r and 0x20 not in r and "junk" not in r
    assert r.overlaps(EuiRange.of(0x1F, 0x30)) and not r.overlaps(EuiRange.of(0x20, 0x30))
    with pytest.raises(ValueError):
        EuiRange(5, 4)


# --- (a) excluded requests ----------------------------------------------------------------------------


@pytest.mark.parametrize("srv", ["6.15.1", "6.15.2", "6.21", "6.23"])
def test_excluded_srvs_are_refused_with_a_reason(srv: str) -> None:
    refusal = exclusion(srv)
    assert refusal is not None and refusal.rule == "excluded-srv" and "Section P" in refusal.reason
    with pytest.raises(RefusedRequest, match=srv):
        ensure_not_excluded(srv)


def test_exactly_the_section_p_srvs_are_excluded() -> None:
    excluded = {s for s in catalogue() if exclusion(s) is not None}
    assert excluded == {"6.15.1", "6.15.2", "6.21", "6.23"}
    ensure_not_excluded("6.24.1")  # neighbours stay allowed
    ensure_not_excluded("4.1.1")


def test_gate_refuses_excluded_even_when_otherwise_allowed() -> None:
    gate = _gate()
    assert gate.check(PP_IS, "IS", "6.15.1").rule == "excluded-srv"
    assert gate.check(PP_IS, "IS", "6.23").rule == "excluded-srv"
    assert gate.check(PP_GS, "GS", "6.21").rule == "excluded-srv"
    assert gate.check(PP_IS, "IS", "6.24.2") is None


# --- (b) PP ID range --------------------------------------------------------------------------------


def test_default_range_clear_of_dcc_boxed_ids() -> None:
    check_pp_range(DEFAULT_PP_RANGE, dcc_ids=[ACB], user_ids=[SUPPLIER, "90-B3-D5-1F-30-01-00-08"], device_ids=[ESME])
    assert in_pp_range(PP_IS) and not in_pp_range(SUPPLIER)


def test_overlap_error_names_every_overlap() -> None:
    pp = EuiRange.of("90-B3-D5-1F-30-00-00-00", "90-B3-D5-1F-30-FF-FF-FF")
    with pytest.raises(IdOverlapError) as err:
        check_pp_range(pp, dcc_ids={"ACB": ACB}, user_ids={"supplier": SUPPLIER}, device_ids=[ESME])
    text = str(err.value)
    assert "DCC ID 90-B3-D5-1F-30-00-00-02 (ACB)" in text and "User ID 90-B3-D5-1F-30-01-00-00 (supplier)" in text
    assert ESME not in text and [o.kind for o in err.value.overlaps] == ["DCC ID", "User ID"]


def test_overlap_with_a_device_id_range() -> None:
    devices = EuiRange.of("90-B3-D5-1F-3F-80-00-00", "90-B3-D5-1F-40-00-00-00")
    with pytest.raises(IdOverlapError, match="device ID 90-B3-D5-1F-3F-80-00-00..90-B3-D5-1F-40-00-00-00"):
        check_pp_range(DEFAULT_PP_RANGE, device_ids=[devices])
    assert find_overlaps(DEFAULT_PP_RANGE, device_ids=[EuiRange.of("90-B3-D5-1F-40-00-00-00")]) == []


def test_range_config() -> None:
    assert pp_range_from_config(None) == DEFAULT_PP_RANGE
    r = pp_range_from_config({"first": "00-00-00-00-00-00-01-00", "last": "00-00-00-00-00-00-01-FF"})
    assert len(r) == 256
    for bad in ({"first": "00-00-00-00-00-00-01-00"}, {"first": ACB, "last": ACB, "x": ACB},
                {"first": "00-00-00-00-00-00-02-00", "last": "00-00-00-00-00-00-01-00"}):
        with pytest.raises(ValueError):
            pp_range_from_config(bad)


def test_section_p_checks_the_range_at_start_up() -> None:
    with pytest.raises(IdOverlapError, match="User ID"):
        SectionP(_parties(), EntryTestRegister(), user_ids=["90-B3-D5-1F-3F-12-34-56"])


@given(st.integers(0, (1 << 64) - 1))
def test_any_id_inside_the_range_is_an_overlap(n: int) -> None:
    assert bool(find_overlaps(DEFAULT_PP_RANGE, user_ids=[n])) == (n in DEFAULT_PP_RANGE)


# --- (c) PP identities: Party/RDP Signifiers, never a User ID -----------------------------------------


def test_originator_must_be_the_pp_id_of_the_role() -> None:
    parties = _parties(user_ids=[SUPPLIER])
    assert parties.originator("IS") == PP_IS and parties.party("GS").party_signifier == "9002"
    assert parties.check_originator(PP_IS, "IS") is None
    assert "User ID" in parties.check_originator(SUPPLIER, "IS").reason
    assert "outside the PP range" in parties.check_originator(ESME, "IS").reason
    assert "not the PP ID for role GS" in parties.check_originator(PP_IS, "GS").reason
    assert "no identity in role GT" in parties.check_originator(PP_IS, "GT").reason
    assert "not an EUI-64" in parties.check_originator("nope", "IS").reason


def test_user_id_inside_pp_range_is_still_refused() -> None:
    stray = "90-B3-D5-1F-3F-00-00-09"
    parties = _parties(user_ids=[stray])
    assert "User ID" in parties.check_originator(stray, "IS").reason


@pytest.mark.parametrize(
    ("party", "rdp", "match"),
    [
        (ProvingParty(UserRole.GT, SUPPLIER, "9004"), "9101", "outside the PP range"),
        (ProvingParty(UserRole.GT, PP_IS, "9004"), "9101", "two roles"),
        (ProvingParty(UserRole.IS, "90-B3-D5-1F-3F-00-00-09", "9004"), "9101", "two PP parties"),
        (ProvingParty(UserRole.GT, "90-B3-D5-1F-3F-00-00-09", "BGAS"), "9101", "Party Signifier"),
        (ProvingParty(UserRole.GT, "90-B3-D5-1F-3F-00-00-09", "9004"), "EELC", "RDP Signifier"),
    ],
)
def test_bad_pp_identities_are_rejected(party: ProvingParty, rdp: str, match: str) -> None:
    with pytest.raises(ProvingIdentityError, match=match):
        ProvingParties(DEFAULT_PP_RANGE, [ProvingParty(UserRole.IS, PP_IS, "9001"), party], {"electricity": rdp})


def test_pp_id_that_is_a_user_id_is_rejected() -> None:
    with pytest.raises(ProvingIdentityError, match="is a User ID"):
        _parties(user_ids={"clash": PP_GS})


def test_gate_refuses_user_ids() -> None:
    gate = _gate()
    assert gate.check(SUPPLIER, "IS", "4.1.1").rule == "pp-identity"
    assert gate.check(PP_IS, "IS", "4.1.1") is None


# --- (d) dummy Registration Data --------------------------------------------------------------------


def test_mpan_check_digit_hand_computed() -> None:
    # sum(digit * prime) mod 11 mod 10 with primes 3, 5, 7, 13, ..., 43, worked by hand
    assert mpan_check_digit("100000000000") == 3
    assert mpan_check_digit("000000000010") == 8  # 41 mod 11
    assert mpan_check_digit("000000000001") == 0  # 43 mod 11 = 10 -> 0
    assert mpan_check_digit("110000000000") == 8  # 3 + 5
    with pytest.raises(ValueError):
        mpan_check_digit("12345")


@pytest.mark.parametrize("fuel", [Fuel.ELECTRICITY, Fuel.GAS])
def test_generated_data_is_dummy_distinct_and_deterministic(fuel: Fuel) -> None:
    data = generate(200, fuel, seed=7)
    assert len({rd.mpxn for rd in data}) == 200
    assert data == generate(200, fuel, seed=7) and data != generate(200, fuel, seed=8)
    for rd in data:
        assert problems(rd) == []
        if fuel is Fuel.ELECTRICITY:
            assert len(rd.mpxn) == 13 and rd.mpxn[0] == "0" and rd.market_area == PP_GSP_GROUP
        else:
            assert len(rd.mpxn) == 5 and rd.market_area == PP_LDZ
        assert len(rd.mpxn) <= 13  # DUIS MPxN length


@given(st.integers(0, 2**32), st.sampled_from(list(Fuel)))
@settings(max_examples=50)
def test_generator_never_produces_real_looking_data(seed: int, fuel: Fuel) -> None:
    for rd in generate(5, fuel, seed=seed):
        validate_dummy(rd)


def _electricity() -> RegistrationData:
    return generate(1, Fuel.ELECTRICITY, seed=1)[0]


def _real_mpan(distributor: str) -> str:
    first12 = distributor + "0000012345"
    return first12 + str(mpan_check_digit(first12))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"mpxn": _real_mpan("14")}, "real distributor ID 14"),
        ({"mpxn": _real_mpan("99")}, "real distributor ID 99"),
        ({"mpxn": "0100000123450"}, "check digit"),
        ({"mpxn": "123"}, "13-digit"),
        ({"supplier_id": "BGAS"}, "real-looking party ID"),
        ({"network_operator_id": "EELC"}, "real-looking party ID"),
        ({"rdp_signifier": "8000"}, "non-PP party ID"),
        ({"market_area": "_A"}, "market_area"),
    ],
)
def test_validator_rejects_real_looking_electricity_data(change: dict[str, str], match: str) -> None:
    rd = replace(_electricity(), **change)
    assert problems(_electricity()) == []
    with pytest.raises(RealLookingDataError, match=match):
        validate_dummy(rd)


@pytest.mark.parametrize(("mprn", "ok"), [("12345", True), ("123456", False), ("1234567890", False), ("0012", False)])
def test_validator_mprn_range(mprn: str, ok: bool) -> None:
    rd = RegistrationData(mprn, Fuel.GAS, "9001", "9002", PP_LDZ, "9102")
    assert (problems(rd) == []) == ok
    bad_area = RegistrationData(mprn, Fuel.GAS, "9001", "9002", "EA", "9102")
    assert any("market_area" in p for p in problems(bad_area))


def test_validator_lists_every_problem() -> None:
    rd = RegistrationData(_real_mpan("20"), Fuel.ELECTRICITY, "BGAS", "SEEB", "_C", "9101")
    with pytest.raises(RealLookingDataError) as err:
        validate_dummy(rd)
    assert len(err.value.problems) == 4


# --- (e) entry-test gating --------------------------------------------------------------------------


def test_entry_test_gate() -> None:
    tests = EntryTestRegister()
    assert not tests.may_send("IS") and "no run recorded" in tests.gate("IS").reason
    tests.record("IS", "r1", passed=False, completed_at="2026-11-20T09:00:00Z")
    assert not tests.may_send("IS") and "1 run(s) recorded, none passed" in tests.gate("IS").reason
    tests.record("IS", "r2", passed=True, completed_at="2026-11-20T10:00:00Z")
    assert tests.may_send("IS") and tests.gate("IS") is None
    assert not tests.may_send("GS")  # per role
    assert [r.run_id for r in tests.runs("IS")] == ["r1", "r2"]
    with pytest.raises(ValueError, match="already recorded"):
        tests.record("GS", "r1", passed=True, completed_at="x")
    with pytest.raises(ValueError):
        tests.record("XX", "r9", passed=True, completed_at="x")


def test_gate_needs_an_entry_test_in_the_role() -> None:
    gate = _gate(passed_roles=("IS",))
    assert gate.check(PP_IS, "IS", "4.1.1") is None
    refusal = gate.check(PP_GS, "GS", "4.1.1")
    assert refusal.rule == "entry-test"
    with pytest.raises(RefusedRequest, match="entry-test"):
        gate.ensure(PP_GS, "GS", "4.1.1")
    gate.entry_tests.record("GS", "gs-1", passed=True, completed_at="2026-11-20T11:00:00Z")
    gate.ensure(PP_GS, "GS", "4.1.1")


# --- gate: catalogue rules --------------------------------------------------------------------------


def test_gate_refuses_unknown_srv_and_ineligible_role() -> None:
    gate = _gate()
    assert gate.check(PP_IS, "IS", "4.9.9").rule == "unknown-srv"
    assert gate.check(PP_GS, "GS", "4.2").rule == "role"  # 4.2 is ES/ED only
    assert gate.check(PP_ED, "ED", "4.2") is None
