"""SRV catalogue: 129 variants, cross-checked against the DUIS 5.4 XSD, the DUIS templates and gbcs.codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from gbcs.codes import message_codes
from proving import catalogue as cat
from proving.catalogue import (
    CatalogueError,
    FutureDating,
    UserRole,
    catalogue,
    eligible,
    for_message_code,
    for_use_case,
    parse_catalogue,
    srv,
)

XS = "{http://www.w3.org/2001/XMLSchema}"
SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"


@pytest.fixture(scope="module")
def xsd(corpus: Path) -> etree._ElementTree:
    return etree.parse(str(corpus / "duis" / "xsd" / "DUIS Schema V5.4.xsd"))


def _enumeration(xsd: etree._ElementTree, name: str) -> list[str]:
    (simple,) = [st for st in xsd.iter(f"{XS}simpleType") if st.get("name") == name]
    return [e.get("value") for e in simple.iter(f"{XS}enumeration")]


def _base_types(xsd: etree._ElementTree, type_names: set[str]) -> set[str]:
    """All complex types the given types extend, transitively."""
    types = {ct.get("name"): ct for ct in xsd.iter(f"{XS}complexType") if ct.get("name")}
    out: set[str] = set()
    todo = list(type_names)
    while todo:
        node = types.get(todo.pop())
        ext = None if node is None else node.find(f".//{XS}extension")
        if ext is not None:
            base = ext.get("base").split(":")[-1]
            out.add(base)
            todo.append(base)
    return out


# --- count and XSD cross-checks -------------------------------------------------------------------


def test_exactly_129_variants() -> None:
    assert len(catalogue()) == 129


def test_ids_match_xsd_service_reference_variant_enumeration(xsd: etree._ElementTree) -> None:
    values = _enumeration(xsd, "ServiceReferenceVariant")
    assert len(values) == 129
    assert list(catalogue()) == values


def test_service_references_match_xsd(xsd: etree._ElementTree) -> None:
    assert {s.service_reference for s in catalogue().values()} == set(_enumeration(xsd, "ServiceReference"))


def test_dcc_schedulable_matches_xsd(xsd: etree._ElementTree) -> None:
    scheduled = set(_enumeration(xsd, "DSPScheduledServiceReferenceVariant"))
    assert {s.id for s in catalogue().values() if s.dcc_schedulable} == scheduled


def test_body_elements_exist_and_future_dating_matches_xsd_base_type(xsd: etree._ElementTree) -> None:
    element_types: dict[str, set[str]] = {}
    for el in xsd.iter(f"{XS}element"):
        if el.get("name") and el.get("type"):
            element_types.setdefault(el.get("name"), set()).add(el.get("type").split(":")[-1])
    for s in catalogue().values():
        assert s.body in element_types, s.id
        future_dated_body = any("FutureDated" in b for b in _base_types(xsd, element_types[s.body]))
        assert future_dated_body == (s.future_dating is not FutureDating.NONE), s.id


def test_device_future_dating_is_the_spec_list() -> None:
    device = {s.id for s in catalogue().values() if s.future_dating is FutureDating.DEVICE}
    assert device == {"1.1.1", "1.1.2", "1.2.1", "1.2.2", "1.6", "2.1", "6.4.1", "6.14.2", "6.14.3", "6.15.1", "11.3"}
    assert srv("6.23").future_dating is FutureDating.DSP_AND_DEVICE


# --- DUIS templates cross-check ---------------------------------------------------------------------


def test_templates_agree_on_command_variant_body_and_use_case(corpus: Path) -> None:
    files = sorted((corpus / "duis" / "templates").glob("*_REQUEST_DUIS.XML"))
    if not files:
        pytest.skip("no DUIS templates")
    seen = set()
    for path in files:
        root = etree.parse(str(path)).getroot()
        item = srv(root.findtext(f".//{SR}ServiceReferenceVariant"))
        seen.add(item.id)
        cv = int(root.findtext(f".//{SR}CommandVariant"))
        assert cv in item.command_variants, path.name
        assert etree.QName(root.find(f"{SR}Body")[0]).localname == item.body, path.name
        prefix = path.name.split("_")[0]
        if prefix != item.id:  # DSP-only templates are named after the SRV itself
            assert any(prefix.startswith(uc) for uc in item.use_cases), path.name
    assert seen == set(catalogue())


# --- GBCS message codes cross-check ---------------------------------------------------------------


def test_message_codes_are_known_and_belong_to_the_srv_use_cases() -> None:
    table = message_codes()
    for s in catalogue().values():
        for code in s.message_codes:
            assert code in table, (s.id, hex(code))
            assert table[code].use_case in s.use_cases, (s.id, hex(code))


def test_every_srv_use_case_in_gbcs_table_has_a_listed_code() -> None:
    by_use_case: dict[str, set[int]] = {}
    for code, row in message_codes().items():
        by_use_case.setdefault(row.use_case, set()).add(code)
    for s in catalogue().values():
        for uc in s.use_cases:
            assert uc in by_use_case, (s.id, uc)
            assert by_use_case[uc] & set(s.message_codes), (s.id, uc)


# --- shape of the data ------------------------------------------------------------------------------


def test_kinds_and_command_variants() -> None:
    for s in catalogue().values():
        if s.critical:
            assert s.command_variants == (4, 5, 6, 7)
        elif s.dsp_only:
            assert s.command_variants == (8,) and not s.devices
        else:
            assert s.command_variants == (1, 2, 3) and s.devices
    assert srv("7.1").critical and not srv("7.4").critical
    assert srv("8.2").dsp_only and not srv("8.5").dsp_only
    assert srv("7.13").sapc == "yes" and srv("6.11").sapc == "plausible" and srv("7.1").sapc == "no"


# --- lookups ----------------------------------------------------------------------------------------


def test_srv_lookup() -> None:
    item = srv("4.1.1")
    assert item.name == "Read Instantaneous Import Registers"
    assert item.service_reference == "4.1"
    assert item.use_cases == ("ECS17b", "GCS13a") and item.message_codes == (0x0027, 0x0074)
    assert item.devices == {"ESME", "GSME"}
    with pytest.raises(KeyError, match="4.9.9"):
        srv("4.9.9")


def test_for_use_case_and_message_code() -> None:
    assert {s.id for s in for_use_case("ECS47")} == {"7.5", "7.6", "7.8"}
    assert {s.id for s in for_use_case("ECS70")} == {"6.11", "8.1.1"}
    assert for_use_case("NOPE99") == ()
    assert {s.id for s in for_message_code(0x0107)} == {"6.15.1", "6.21", "6.23", "8.5"}
    assert [s.id for s in for_message_code(0x0027)] == ["4.1.1"]
    assert for_message_code(0xFFFF) == ()


def test_eligible() -> None:
    assert eligible("4.1.1", UserRole.GT) and eligible(srv("4.1.1"), "ED")
    assert not eligible("4.1.1", "OU") and not eligible("4.2", UserRole.IS)
    assert eligible("14.1", "GT") and not eligible("14.1", "GS")
    assert not eligible("4.1.1", "XX")  # unknown role
    for item in ("7.16", "8.5", "8.6"):  # no eligible role in the matrix
        assert not any(eligible(item, role) for role in UserRole)


def test_catalogue_is_cached() -> None:
    assert catalogue() is catalogue()
    assert cat._by_use_case() is cat._by_use_case()


# --- loader validation ------------------------------------------------------------------------------

_GOOD = """
[srv."4.1.1"]
name = "x"
body = "X"
critical = false
non_device = false
command_variants = [1, 2, 3]
future_dating = "dsp"
dcc_schedulable = false
roles = ["IS"]
use_cases = ["ECS17b"]
message_codes = [0x0027]
devices = ["ESME"]
sapc = "no"
"""


def test_loader_accepts_a_good_row() -> None:
    assert parse_catalogue(_GOOD)["4.1.1"].roles == {UserRole.IS}


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("command_variants = [1, 2, 3]", "command_variants = [4, 5, 6, 7]", "command variants"),
        ("critical = false", "critical = true", "command variants"),
        ('roles = ["IS"]', 'roles = ["XX"]', "XX"),
        ('future_dating = "dsp"', 'future_dating = "later"', "later"),
        ('devices = ["ESME"]', 'devices = ["TOASTER"]', "device type"),
        ('devices = ["ESME"]', "devices = []", "target devices"),
        ("message_codes = [0x0027]", "message_codes = []", "message codes"),
        ("message_codes = [0x0027]", "message_codes = [0x10000]", "16-bit"),
        ('[srv."4.1.1"]', '[srv."4.x"]', "not an SRV id"),
        ('name = "x"\n', "", "name"),
    ],
)
def test_loader_rejects_bad_rows(old: str, new: str, match: str) -> None:
    with pytest.raises(CatalogueError, match=match):
        parse_catalogue(_GOOD.replace(old, new))


def test_loader_rejects_duplicate_bodies_and_empty_files() -> None:
    with pytest.raises(CatalogueError, match="duplicate"):
        parse_catalogue(_GOOD + _GOOD.replace('"4.1.1"', '"4.1.2"'))
    with pytest.raises(CatalogueError, match="no"):
        parse_catalogue("")
