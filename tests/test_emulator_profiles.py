"""Firmware profiles: every shipped profile loads; errors name the file and the key; the catalogue is sane."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.catalogue import catalogue, codes_for
from emulator.profiles import KINDS, ProfileError, generic_profile, load_profile, load_profiles


def test_every_profile_loads_and_each_kind_has_a_generic_one() -> None:
    profiles = load_profiles()
    for kind in KINDS:
        profile = generic_profile(kind)
        assert profile.kind == kind and profile.gbcs_version == "3.2"
        assert profile.name in profiles
    apc = profiles["esme-apc"]
    assert apc.kind == "ESME" and "APC-output" in apc.auxiliary_controllers
    assert apc.state == profiles["generic-esme"].state  # extends
    assert profiles["generic-sapc"].dlms_kind == "ESME"


def test_supported_use_cases_follow_the_kind_and_the_patterns(tmp_path: Path) -> None:
    esme = generic_profile("ESME")
    assert esme.supports(0x0027) and not esme.supports(0x0074) and not esme.supports(0xFFFF)
    (tmp_path / "base.toml").write_text('[device]\nkind = "ESME"\n')
    (tmp_path / "narrow.toml").write_text(
        'extends = "base"\n[use_cases]\nsupported = ["ECS17*"]\nunsupported = ["ECS17e"]\n'
        '[alerts]\ndisabled = ["0x8F66"]\nreplay = 0\n'
    )
    narrow = load_profile(tmp_path / "narrow.toml")
    assert narrow.supports(0x0027) and not narrow.supports(0x002A) and not narrow.supports(0x0048)
    assert not narrow.alert_enabled(0x8F66) and narrow.alert_enabled(0x8F67)
    assert narrow.security_alerts["replay"] == 0


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[device]\nkind = "TOASTER"\n', "[device] kind"),
        ("[device]\n", "[device] kind: missing"),
        ('[device]\nkind = "ESME"\n[firmware]\nimage_hash = "12"\n', "[firmware] image_hash"),
        ('[device]\nkind = "ESME"\n[behaviour]\nresponse_delay = "soon"\n', "[behaviour] response_delay"),
        ('[device]\nkind = "ESME"\n[alerts]\nreplay = "x"\n', "[alerts] replay"),
        ('[device]\nkind = "ESME"\n[alerts]\nbogus = 1\n', "[alerts] bogus"),
        ('[device]\nkind = "ESME"\n[state]\n"1/0-0:1.0.0.255/2" = { type = "nope" }\n', '[state] 1/0-0:1.0.0.255/2'),
        ('[device]\nkind = "ESME"\n[state]\n"bad" = { type = "null" }\n', "[state] bad"),
        ('[device]\nkind = "ESME"\nauxiliary_controllers = ["TOASTER"]\n', "[device] auxiliary_controllers"),
        ("not toml [", "not valid TOML"),
        ('extends = "missing"\n', "missing.toml: cannot read"),
        ('[device]\nkind = "ESME"\n[behaviour]\nresponse_dealy = 1\n', "[behaviour] response_dealy: unknown key"),
        ('[device]\nkind = "ESME"\nmodle = "x"\n', "[device] modle: unknown key"),
        ('[device]\nkind = "ESME"\n[behavior]\nresponse_delay = 1\n', "[behavior] is not a profile table"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "model.toml"
    path.write_text(text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert where in str(info.value)
    assert "model.toml" in str(info.value) or "missing.toml" in str(info.value)


def test_catalogue_rows() -> None:
    rows = catalogue()
    assert rows[0x0019].critical == "always" and rows[0x0019].future_dated and rows[0x0019].roles == {2}
    assert rows[0x0027].critical == "never" and rows[0x0027].timestamped and {2, 3, 4} <= rows[0x0027].roles
    assert rows[0x011F].roles == {8}  # ECS47e: load controller only
    assert rows[0x009B].han  # PCS01 comes from a PPMID
    assert rows[0x0034].supplementary_originator_counter
    assert codes_for("ECS17b") == [0x0027]


def test_registry_prefers_a_code_handler_over_the_payload_handler() -> None:
    from emulator import registry

    def specific(device: object, incoming: object) -> None:
        return None

    def generic(device: object, incoming: object) -> None:
        return None

    registry.handles(kinds=("TESTKIND",), codes=(0x0052,))(specific)
    registry.handles(kinds=("TESTKIND",), payload="dlms")(generic)
    assert registry.find("TESTKIND", 0x0052, "dlms") is specific
    assert registry.find("TESTKIND", 0x0053, "dlms") is generic
    assert registry.find("TESTKIND", 0x0053, "gbz") is None
    assert registry.find("ESME", 0x0027, "dlms") is not None  # the generic COSEM executor
    with pytest.raises(ValueError):
        registry.handles(kinds=("TESTKIND",), codes=(0x0052,))(generic)
    assert 0x0052 in registry.registered_codes("TESTKIND")


def test_a_profile_kept_elsewhere_extends_a_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "acme.toml").write_text('extends = "generic-esme"\n[device]\nmodel = "ACME E1"\n'
                                        '[firmware]\nversion = "2.3.1"\n')
    acme = load_profile(tmp_path / "acme.toml")
    assert (acme.kind, acme.model, acme.firmware_version) == ("ESME", "ACME E1", "2.3.1")
    assert acme.state == generic_profile("ESME").state
