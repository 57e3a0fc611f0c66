"""The hot paths against their reference implementations: byte-identical output for any input.

* GBCS APDU and MAC-header assembly (gbcs.crypto.secure) against the construct declarations;
* the fast A-XDR encoder against the full one (gbcs.dlms.axdr);
* templated DUIS response signing (proving.duis.sign_response) against building and signing the tree.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from signxml import XMLVerifier

from gbcs.crypto.secure import _mac_header_message, _unsigned_apdu
from gbcs.dlms import axdr
from gbcs.framing import build_apdu, build_mac_header_message
from proving import duis
from proving.duis.signing import _VERIFY_CONFIG

octets = st.binary(max_size=300)


@given(st.integers(0, 255), st.integers(0, 2**64 - 1), octets, octets, octets, octets, st.binary(max_size=2000))
@settings(max_examples=300)
def test_apdu_assembly_matches_the_construct_declaration(cra: int, counter: int, originator: bytes,
                                                         recipient: bytes, date_time: bytes, other: bytes,
                                                         content: bytes) -> None:
    fast = _unsigned_apdu(cra, counter, originator, recipient, date_time, other, content)
    assert fast == build_apdu(cra, counter, originator, recipient, date_time, other, content, None)


@given(st.binary(min_size=1, max_size=3000), st.binary(min_size=12, max_size=12))
@settings(max_examples=200)
def test_mac_header_assembly_matches_the_construct_declaration(apdu: bytes, mac: bytes) -> None:
    assert _mac_header_message(apdu, mac) == build_mac_header_message(apdu, mac)


def _leaf() -> st.SearchStrategy[dict]:
    ints = [st.builds(lambda v, t=t: {"type": t, "value": v}, st.integers(lo, hi)) for t, lo, hi in (
        ("integer", -128, 127), ("unsigned", 0, 255), ("long", -32768, 32767), ("long-unsigned", 0, 65535),
        ("double-long", -2**31, 2**31 - 1), ("double-long-unsigned", 0, 2**32 - 1), ("enum", 0, 255),
        ("long64", -2**63, 2**63 - 1), ("long64-unsigned", 0, 2**64 - 1))]
    return st.one_of(
        *ints,
        st.just({"type": "null"}),
        st.builds(lambda b: {"type": "octet-string", "value": b.hex().upper()}, st.binary(max_size=200)),
        st.builds(lambda b: {"type": "boolean", "value": b}, st.booleans()),
        st.builds(lambda s: {"type": "visible-string", "value": s}, st.text("abcXYZ019 ", max_size=40)),
        st.builds(lambda v: {"type": "integer", "value": v}, st.integers(-1000, 1000)),  # out of range: errors
        st.just({"type": "no-such-type", "value": 1}),
    )


data_trees = st.recursive(
    _leaf(),
    lambda children: st.one_of(
        st.builds(lambda xs: {"type": "structure", "value": xs}, st.lists(children, max_size=6)),
        st.builds(lambda xs: {"type": "array", "value": xs}, st.lists(children, max_size=6)),
    ),
    max_leaves=40,
)


def _full(tree: dict) -> bytes | str:
    out: list[bytes] = []
    try:
        axdr._encode_into(tree, out, "data", 0)
    except Exception as exc:  # noqa: BLE001 - the error text is part of the contract
        return f"{type(exc).__name__}: {exc}"
    return b"".join(out)


@given(data_trees)
@settings(max_examples=500)
def test_fast_a_xdr_encoder_matches_the_full_one(tree: dict) -> None:
    try:
        fast: bytes | str = axdr.encode_data(tree)
    except Exception as exc:  # noqa: BLE001
        fast = f"{type(exc).__name__}: {exc}"
    assert fast == _full(tree)


@pytest.fixture(scope="module")
def signer(corpus: Path) -> tuple:
    keys = corpus / "zaz1-keys"
    return (duis.load_private_key(keys / "Z1-accessControlBroker-dSPXmlSign.key"),
            duis.load_certificate(keys / "Z1-accessControlBroker-dSPXmlSign.pem"))


def _blank_signature(document: bytes) -> bytes:
    return re.sub(rb"<ds:SignatureValue>[^<]*</ds:SignatureValue>", b"<ds:SignatureValue/>", document)


request_ids = st.builds(lambda a, b, c: duis.RequestId(a.hex(), b.hex(), c), st.binary(min_size=8, max_size=8),
                        st.binary(min_size=8, max_size=8), st.integers(0, 2**63))
srvs = st.sampled_from(["4.1.1", "1.1.1", "8.11", "6.2.10", "11.2"])


@given(request_ids, srvs, st.one_of(st.none(), st.binary(min_size=1, max_size=400)), st.booleans(),
       st.sampled_from(["I0", "I99", "E21", "E100"]))
@settings(max_examples=60, deadline=None)
def test_templated_response_signing_matches_the_tree_path(signer: tuple, request_id: duis.RequestId, srv: str,
                                                         payload: bytes | None, swapped: bool, code: str) -> None:
    key, cert = signer
    at = datetime(2026, 11, 21, 8, 0, 0, tzinfo=UTC)
    body = duis.ResponseMessage(srv, gbcs_payload=payload)
    response = duis.DuisResponse(code, at, body, request_id, request_id.swapped() if swapped else None)
    fast = duis.sign_response(response, key, cert)
    reference = duis.to_bytes(duis.sign(response.to_xml(), key, cert))
    assert _blank_signature(fast) == _blank_signature(reference)
    XMLVerifier().verify(fast, x509_cert=cert, expect_config=_VERIFY_CONFIG)
