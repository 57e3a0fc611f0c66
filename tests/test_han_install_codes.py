"""Install codes: length first, then CRC-16/X-25; the AES-MMO TC link key (requirements §4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.han import install_codes as ic
from emulator.han.install_codes import InstallCodeError

EXAMPLE = bytes.fromhex("83FED3407A939723A5C639B26916D505")
EXAMPLE_KEY = bytes.fromhex("66B6900981E1EE3CA4206B6B861C02BB")
VALID_LENGTHS = {ic.SMETS2: {16}, ic.SMETS1: {6, 8, 12, 16}}


def _code(length: int) -> bytes:
    return bytes((7 * i + 0x35) & 0xFF for i in range(length))


def test_worked_example() -> None:
    assert ic.crc_bytes(EXAMPLE) == bytes.fromhex("C3B5")
    assert ic.crc16_x25(EXAMPLE) == 0xB5C3  # appended least significant byte first
    assert ic.link_key(EXAMPLE + bytes.fromhex("C3B5")) == EXAMPLE_KEY
    assert ic.link_key_for_code(EXAMPLE) == EXAMPLE_KEY
    assert ic.validate(EXAMPLE + bytes.fromhex("C3B5")) == EXAMPLE


def test_crc_check_value() -> None:
    assert ic.crc16_x25(b"123456789") == 0x906E


@pytest.mark.parametrize("generation", [ic.SMETS2, ic.SMETS1])
@pytest.mark.parametrize("length", range(21))
@pytest.mark.parametrize("crc_ok", [True, False])
def test_every_length_with_good_and_bad_crc(generation: str, length: int, crc_ok: bool) -> None:
    code = _code(length)
    crc = ic.crc_bytes(code)
    if not crc_ok:
        crc = bytes((crc[0] ^ 0x01, crc[1]))
    accepted = length in VALID_LENGTHS[generation] and crc_ok
    if accepted:
        assert ic.validate(code + crc, generation) == code
        assert len(ic.link_key(code + crc, generation)) == 16
        return
    with pytest.raises(InstallCodeError) as refused:
        ic.validate(code + crc, generation)
    # length is checked before the CRC
    assert refused.value.reason == (ic.LENGTH if length not in VALID_LENGTHS[generation] else ic.CRC)


@pytest.mark.parametrize("total", [0, 1])
def test_shorter_than_a_crc_is_a_length_error(total: int) -> None:
    with pytest.raises(InstallCodeError) as refused:
        ic.validate(bytes(total), ic.SMETS1)
    assert refused.value.reason == ic.LENGTH


@pytest.mark.parametrize("length", range(21))
def test_code_without_crc_length(length: int) -> None:
    for generation, lengths in VALID_LENGTHS.items():
        if length in lengths:
            assert ic.check_length(_code(length), generation) == _code(length)
        else:
            with pytest.raises(InstallCodeError, match="length"):
                ic.link_key_for_code(_code(length), generation)


def test_unknown_generation() -> None:
    with pytest.raises(InstallCodeError) as refused:
        ic.validate(ic.with_crc(EXAMPLE), "SMETS3")
    assert refused.value.reason == ic.GENERATION


def test_aes_mmo_padding_rules() -> None:
    """ZigBee AES-MMO: different lengths pad differently, one- and two-block inputs, long-message form."""
    assert ic.aes_mmo_hash(b"") != ic.aes_mmo_hash(b"\x00")
    assert len(ic._mmo_padding(13)) == 3 and len(ic._mmo_padding(14)) == 18  # 13+3 = 16, 14 needs a second block
    assert (14 + len(ic._mmo_padding(14))) % 16 == 0
    assert ic._mmo_padding(8192)[-6:] == (8192 * 8).to_bytes(4, "big") + bytes(2)
    assert len(ic.aes_mmo_hash(bytes(8192))) == 16


@given(st.sampled_from([6, 8, 12, 16]).flatmap(lambda n: st.binary(min_size=n, max_size=n)))
def test_crc_appended_is_valid(code: bytes) -> None:
    assert ic.validate(ic.with_crc(code), ic.SMETS1) == code


@given(st.binary(min_size=16, max_size=16), st.data())
def test_any_single_bit_flip_is_invalid(code: bytes, data: st.DataObject) -> None:
    good = bytearray(ic.with_crc(code))
    bit = data.draw(st.integers(min_value=0, max_value=len(good) * 8 - 1))
    good[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InstallCodeError) as refused:
        ic.validate(bytes(good), ic.SMETS2)
    assert refused.value.reason == ic.CRC
