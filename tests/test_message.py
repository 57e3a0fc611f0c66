"""Whole-message decode/encode: corpus fields, exact rebuild, mutations and random input."""

from __future__ import annotations

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from gbcs.message import decode_message, encode_message

_EUI = re.compile(r"^[0-9A-F]{16}$")
_KINDS = {"_PRECOMMAND_": "command", "_COMMAND_": "command", "_RESPONSE_": "response", "_ALERT_": "alert"}


def _kind(name: str) -> str:
    file = name.split("/")[-1]
    return next(kind for marker, kind in _KINDS.items() if marker in file)


def test_corpus_decodes_and_rebuilds(rtds_messages: list[tuple[str, bytes]]) -> None:
    for name, raw in rtds_messages:
        result = decode_message(raw, name)
        assert result["ok"], (name, result["error"])
        assert result["cra"] == _kind(name), name
        assert _EUI.match(result["originator"]) and _EUI.match(result["recipient"]), name
        assert result["payload_type"] in ("dlms", "gbz", "asn1"), name
        assert result["signature_form"] == ("absent" if "_PRECOMMAND_" in name else result["signature_form"])
        assert encode_message(result) == raw, name


def test_corpus_use_case_matches_folder(rtds_messages: list[tuple[str, bytes]]) -> None:
    """Folders are named <SRV>_<use case>; nearly all commands and responses carry that use case's code.

    A few RTDS variants legitimately use a sibling code (e.g. a CS04B folder holding a CS04AC
    error case, CS02b variants with one code per replacement mode).
    """
    matched, mismatched = 0, []
    for name, raw in rtds_messages:
        folder_use_case = name.split("/")[0].split("_", 1)[1]
        result = decode_message(raw, name)
        if result["cra"] == "alert" or result["use_case"] is None:
            continue
        if folder_use_case.startswith(result["use_case"]) or result["use_case"].startswith(folder_use_case):
            matched += 1
        else:
            mismatched.append(name)
    assert matched > 700
    assert len(mismatched) <= 0.05 * matched, mismatched


def test_responses_echo_their_commands(rtds_messages: list[tuple[str, bytes]]) -> None:
    """A response copies its command's counter and message code, with the parties swapped."""
    by_name = dict(rtds_messages)
    pairs = 0
    for name, raw in rtds_messages:
        if not name.endswith("_COMMAND_GBCS.HEX") or "_PRECOMMAND_" in name:
            continue
        response_name = name.replace("_COMMAND_GBCS.HEX", "_RESPONSE_GBCS.HEX")
        if response_name not in by_name:
            continue
        command, response = decode_message(raw), decode_message(by_name[response_name])
        assert response["counter"] == command["counter"], name
        assert response["message_code"] == command["message_code"], name
        assert (response["originator"], response["recipient"]) == (command["recipient"], command["originator"]), name
        pairs += 1
    assert pairs > 300


def test_unknown_message_code_decodes_generically(rtds_messages: list[tuple[str, bytes]]) -> None:
    name, raw = next((n, r) for n, r in rtds_messages if decode_message(r)["payload_type"] == "dlms")
    tree = decode_message(raw)
    tree["message_code"] = 0x7FFE
    rebuilt = encode_message(tree)
    again = decode_message(rebuilt)
    assert again["ok"] and again["message_code"] == 0x7FFE and again["use_case"] is None


def test_edit_counter_and_reencode(rtds_messages: list[tuple[str, bytes]]) -> None:
    _, raw = rtds_messages[0]
    tree = decode_message(raw)
    tree["counter"] = 0x123456789
    assert decode_message(encode_message(tree))["counter"] == 0x123456789


def _assert_clean_failure(result: dict, size: int) -> None:
    assert result["ok"] is False
    assert re.match(r"^offset \d+: ", result["error"]), result["error"]
    assert 0 <= result["error_offset"] <= size


def test_mutations_of_every_message(rtds_messages: list[tuple[str, bytes]]) -> None:
    """Truncations, flipped bits and inflated/deflated bytes: ok false with an offset, or a clean parse."""
    rng = random.Random(2026)
    tried = failed = 0
    for _, raw in rtds_messages:
        mutants = [raw[: rng.randrange(len(raw))]]
        for _ in range(12):
            buf = bytearray(raw)
            i = rng.randrange(len(buf))
            buf[i] = rng.choice([buf[i] ^ (1 << rng.randrange(8)), (buf[i] + 1) & 0xFF, (buf[i] - 1) & 0xFF])
            mutants.append(bytes(buf))
        for mutant in mutants:
            tried += 1
            result = decode_message(mutant)
            if result["ok"]:
                assert encode_message(result) == mutant
            else:
                failed += 1
                _assert_clean_failure(result, len(mutant))
    assert tried > 10_000 and failed > 0


@given(st.binary(max_size=300), st.sampled_from([b"", b"\xdd\x00\x00\x00\x00\x00\x00", b"\xdf\x09"]))
@settings(max_examples=1500)
def test_random_bytes_never_raise(blob: bytes, prefix: bytes) -> None:
    data = prefix + blob
    result = decode_message(data)
    if result["ok"]:
        assert encode_message(result) == data
    else:
        _assert_clean_failure(result, len(data))


def test_empty_input() -> None:
    _assert_clean_failure(decode_message(b""), 0)
