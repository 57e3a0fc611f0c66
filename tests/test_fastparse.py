"""The compiled framing parser agrees with construct's interpreter on every input, errors included."""

from __future__ import annotations

import random

import construct as cs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gbcs.errors import DecodeError
from gbcs.fastparse import compile_struct
from gbcs.framing import GENERAL_SIGNING, OctetString, Tag, parse_frame


def _outcome(parser, buf: bytes):  # noqa: ANN001, ANN202 - either parser
    try:
        result = parser(buf)
    except DecodeError as exc:
        return ("error", exc.offset, exc.field, exc.reason)
    return ("ok", {k: v for k, v in dict(result).items() if not k.startswith("_") and k not in ("tag", "end")})


_compiled = compile_struct(GENERAL_SIGNING)


def _interpreted(buf: bytes):  # noqa: ANN202
    return GENERAL_SIGNING.parse(buf)


@given(st.binary(max_size=80), st.sampled_from([b"", b"\xdf", b"\xdf\x09\x01" + bytes(8)]))
@settings(max_examples=3000)
def test_agrees_on_random_input(blob: bytes, prefix: bytes) -> None:
    buf = prefix + blob
    assert _outcome(_compiled, buf) == _outcome(_interpreted, buf)


def test_agrees_on_corpus_and_its_mutations(rtds_messages: list[tuple[str, bytes]]) -> None:
    rng = random.Random(11)
    for _, raw in rtds_messages:
        apdu = parse_frame(raw).apdu
        cases = [apdu, apdu[: rng.randrange(len(apdu))]]
        for _ in range(6):
            mutant = bytearray(apdu)
            i = rng.randrange(min(len(mutant), 60))
            mutant[i] = rng.randrange(256)
            cases.append(bytes(mutant))
        for case in cases:
            assert _outcome(_compiled, case) == _outcome(_interpreted, case)


def test_refuses_structures_it_does_not_know() -> None:
    with pytest.raises(TypeError):
        compile_struct(cs.Struct("x" / cs.Int8ub))
    parser = compile_struct(cs.Struct("t" / Tag("t", 1), "a" / OctetString("a", (2,))))
    assert parser(b"\x01\x02ab") == {"a": b"ab"}
