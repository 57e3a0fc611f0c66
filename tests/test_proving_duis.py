"""DUIS 5.4 XML layer (proving.duis): XSD, request/response codecs, XML-DSig, against the real corpus."""

from __future__ import annotations

import base64
import copy
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from proving.duis import (
    DSP_XML_SIGN_ROLE,
    DUIS_XSD,
    MMC_XSD,
    QUARANTINE_BREACHES,
    XML_SIGN_ROLE,
    CertStore,
    DCCAlert,
    DeviceAlert,
    DuisParseError,
    DuisRequest,
    DuisResponse,
    DuisSchemaError,
    DuisValidationError,
    FutureDatedAlert,
    QuarantinedRequest,
    RawDCCAlert,
    RequestId,
    ResponseMessage,
    SignatureError,
    UpdateHANDeviceLogResult,
    acknowledgement,
    build_request,
    dcc_alert,
    device_alert,
    device_response,
    error_response,
    future_dated_response,
    load_certificate,
    load_private_key,
    load_schema,
    parse_request,
    parse_response,
    parse_xml,
    readdress,
    resign,
    sign,
    strip_signature,
    to_bytes,
    verify,
)
from proving.duis.namespaces import ds, sr

SUPPLIER = "90-B3-D5-1F-30-01-00-00"
OTHER_USER = "90-B3-D5-1F-30-02-00-00"
DCC = "90-B3-D5-1F-30-00-00-02"
ESME = "00-DB-12-34-56-78-90-A0"
WHEN = datetime(2026, 1, 15, 9, 30, 0, 125000, tzinfo=UTC)


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(corpus: Path):
    return load_schema(corpus / "duis" / "xsd")


@pytest.fixture(scope="module")
def templates(corpus: Path) -> list[Path]:
    files = sorted((corpus / "duis" / "templates").glob("*.XML"))
    if not files:
        pytest.skip(f"no DUIS templates under {corpus / 'duis' / 'templates'}")
    return files


@pytest.fixture(scope="module")
def keys(corpus: Path) -> Path:
    return corpus / "zaz1-keys"


@pytest.fixture(scope="module")
def user_signer(keys: Path):
    """The supplier's xmlSign (role 0x87) key and certificate."""
    return load_private_key(keys / "xml-sign-90B3D51F30010000-ds.key"), load_certificate(
        keys / "xml-sign-90B3D51F30010000-ds.pem"
    )


@pytest.fixture(scope="module")
def other_signer(keys: Path):
    """Another User's xmlSign key and certificate."""
    return load_private_key(keys / "xml-sign-90B3D51F30020000-ds.key"), load_certificate(
        keys / "xml-sign-90B3D51F30020000-ds.pem"
    )


@pytest.fixture(scope="module")
def dcc_signer(keys: Path):
    """The DCC's dspXmlSign (role 0x89) key and certificate."""
    return load_private_key(keys / "Z1-accessControlBroker-dSPXmlSign.key"), load_certificate(
        keys / "Z1-accessControlBroker-dSPXmlSign.pem"
    )


@pytest.fixture(scope="module")
def store(keys: Path) -> CertStore:
    return CertStore.from_directory(keys)


@pytest.fixture()
def signed_request(templates, user_signer):
    """A re-addressed, signed request from the first template with a simple text leaf in its body."""
    for path in templates:
        request = parse_request(path)
        if request.request_id.originator == SUPPLIER and _first_leaf(request.body) is not None:
            return sign(readdress(request, counter=request.request_id.counter + 1).to_xml(), *user_signer)
    pytest.skip("no supplier template with a text leaf in its body")


def _first_leaf(element: etree._Element) -> etree._Element | None:
    for node in element.iter():
        if isinstance(node.tag, str) and len(node) == 0 and (node.text or "").strip():
            return node
    return None


# --- schema ----------------------------------------------------------------------------------------


def test_schema_is_cached_per_directory(corpus: Path, schema):
    assert load_schema(corpus / "duis" / "xsd") is schema
    assert load_schema(str(corpus / "duis" / "xsd" / ".." / "xsd")) is schema


def test_schema_resolves_the_import_with_spaces_in_its_name(schema):
    # sr:SMETS1SignedResponse uses ra:HeaderType from "MMC Schema V5.4.xsd"; the DUIS XSD only
    # compiles when that import is resolved, and the MMC enumerations are reachable.
    assert "ACB" in schema.enumeration("RemotePartyRole")
    codes = schema.enumeration("ResponseCode")
    assert {"I0", "I99"} <= set(codes)


def test_schema_missing_directory_is_a_clear_error(tmp_path: Path):
    with pytest.raises(DuisSchemaError, match="not found"):
        load_schema(tmp_path)


def test_mmc_schema_loads_on_its_own(corpus: Path, schema):
    mmc = load_schema(corpus / "duis" / "xsd", MMC_XSD)
    assert mmc is not schema
    assert "Supplier" in mmc.enumeration("RemotePartyRole")


def test_schema_with_a_missing_import_is_a_clear_error(corpus: Path, tmp_path: Path):
    (tmp_path / DUIS_XSD).write_bytes((corpus / "duis" / "xsd" / DUIS_XSD).read_bytes())  # outside the repo
    with pytest.raises(DuisSchemaError, match="cannot compile"):
        load_schema(tmp_path)


def test_unknown_enumeration_is_a_key_error(schema):
    with pytest.raises(KeyError):
        schema.enumeration("NoSuchTypeAnywhere")


def test_validation_errors_are_readable_with_line_numbers(schema):
    rid = RequestId(SUPPLIER, ESME, 1)
    doc = device_alert(rid.swapped(), DeviceAlert("8F35", b"\x01", 1, 2), at=WHEN).to_xml()
    alert = doc.find(f"{sr('Body')}/{sr('DeviceAlertMessage')}")
    alert.append(alert[0])  # move AlertCode to the end: wrong element order
    errors = schema.validate(doc)
    assert errors and all(e.startswith("line ") for e in errors)
    assert int(errors[0].split(":")[0].removeprefix("line ")) > 1
    assert "sr:" in errors[0] and "{http" not in errors[0]
    with pytest.raises(DuisValidationError) as info:
        schema.assert_valid(doc)
    assert info.value.errors == errors


def test_validate_accepts_bytes_and_rejects_malformed_xml_clearly(schema, templates):
    assert schema.validate(templates[0].read_bytes()) == []
    with pytest.raises(DuisParseError, match="line 2"):
        schema.validate(b"<Request>\n<oops></Request>")


# --- every template: parse, re-address, re-sign, validate, verify ------------------------------------


def test_every_template_parses_readdresses_resigns_validates_and_verifies(
    templates, schema, user_signer, other_signer, store
):
    failures = []
    for index, path in enumerate(templates):
        try:
            template = parse_request(path)
            assert template.signature is not None, "templates carry a placeholder signature"
            # re-address to a different User, a fresh counter, and the DCC/device target it had
            key, cert = other_signer if index % 2 else user_signer
            originator = OTHER_USER if index % 2 else SUPPLIER
            counter = 1_700_000_000_000 + index
            moved = readdress(template, originator=originator, counter=counter)
            assert moved.request_id == RequestId(originator, template.request_id.target, counter)
            assert moved.signature is None
            doc = sign(moved.to_xml(), key, cert)
            assert schema.validate(doc) == [], "re-signed request must be XSD valid"
            wire = to_bytes(doc)
            verified = verify(wire, store, roles={XML_SIGN_ROLE}, entity=originator)
            assert verified.signed_xml.findtext(f"{sr('Header')}/{sr('RequestID')}") == str(moved.request_id)
            again = parse_request(wire)
            assert again == moved
            assert again.execution_datetime == template.execution_datetime
            # and the placeholder-signed template itself: stripped and re-signed in one call
            resigned = resign(path, *user_signer)
            assert len(resigned.findall(ds("Signature"))) == 1
            assert schema.validate(resigned) == []
            verify(resigned, store, roles={XML_SIGN_ROLE})
        except Exception as exc:  # collect every failing template, not just the first
            failures.append(f"{path.name}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def test_templates_cover_the_header_fields(templates):
    requests = [parse_request(p) for p in templates]
    assert all(r.srv == r.service_reference or r.srv.startswith(r.service_reference + ".") for r in requests)
    assert {r.command_variant for r in requests} >= {1, 4, 8}
    assert any(r.execution_datetime is not None for r in requests)


def test_placeholder_signature_does_not_verify(templates, store, user_signer):
    with pytest.raises(SignatureError, match="no certificate"):
        verify(templates[0], store)
    # even when it names a real certificate, the placeholder digest and value are rejected
    root = parse_request(templates[0]).to_xml()
    placeholder = copy.deepcopy(parse_xml(templates[0]).find(ds("Signature")))
    placeholder.find(f".//{ds('X509IssuerName')}").text = user_signer[1].issuer.rfc4514_string()
    placeholder.find(f".//{ds('X509SerialNumber')}").text = str(user_signer[1].serial_number)
    root.append(placeholder)
    with pytest.raises(SignatureError, match="does not verify"):
        verify(root, store)


# --- request building ------------------------------------------------------------------------------


def test_build_request_header_extras_validate_and_round_trip(templates, schema, user_signer):
    template = parse_request(templates[0])
    first = RequestId(SUPPLIER, template.request_id.target, 41)
    doc = build_request(
        RequestId(SUPPLIER, template.request_id.target, 42),
        template.srv,
        template.command_variant,
        template.body,
        first_in_sequence=False,
        preceding_request_id=first,
    )
    assert schema.validate(doc) == []
    request = parse_request(sign(doc, *user_signer))
    assert request.first_in_sequence is False
    assert request.preceding_request_id == first


def test_execution_datetime_is_replaced_or_read(templates, schema):
    future = next(r for r in map(parse_request, templates) if r.execution_datetime is not None)
    later = future.execution_datetime.replace(year=2031) + timedelta(hours=1)
    doc = build_request(future.request_id, future.srv, future.command_variant, future.body, execution_datetime=later)
    assert schema.validate(doc) == []
    assert parse_request(doc).execution_datetime == later
    assert future.execution_datetime != later  # the source request is untouched


def test_build_request_rejects_a_body_outside_the_duis_namespace():
    with pytest.raises(ValueError, match="namespace"):
        build_request(RequestId(SUPPLIER, ESME, 1), "2.2", 1, etree.Element("TopUpDevice"))


def test_parse_request_wrong_root_and_missing_parts(templates):
    with pytest.raises(DuisParseError, match="expected sr:Request"):
        parse_request(device_response(RequestId(SUPPLIER, ESME, 1), "4.1.1", b"x", at=WHEN).to_xml())
    root = copy.deepcopy(parse_request(templates[0]).to_xml())
    header = root.find(sr("Header"))
    header.remove(header.find(sr("CommandVariant")))
    with pytest.raises(DuisParseError, match="CommandVariant"):
        parse_request(root)
    with pytest.raises(DuisParseError, match="RequestID"):
        parse_request(to_bytes(root).replace(b"-00:", b"-0G:", 1))


@pytest.mark.parametrize(
    "malformed",
    [
        b"",
        b"<sr:Request xmlns:sr='http://www.dccinterface.co.uk/ServiceUserGateway'>",
        b"<?xml version='1.0'?>\n<a>\n  <b></a>",
        "<a>&undefined;</a>",
    ],
)
def test_malformed_xml_raises_own_error_not_lxml(malformed, store):
    with pytest.raises(DuisParseError) as info:
        parse_request(malformed)
    assert not isinstance(info.value, etree.LxmlError)
    assert "malformed XML" in str(info.value)
    with pytest.raises(DuisParseError):
        parse_response(malformed)
    with pytest.raises(SignatureError):
        verify(malformed, store)


def test_malformed_xml_error_names_the_line():
    with pytest.raises(DuisParseError) as info:
        parse_request(b"<?xml version='1.0'?>\n<a>\n  <b></a>")
    assert info.value.line == 3


# --- signatures ------------------------------------------------------------------------------------


def test_signature_profile_matches_dcc_boxed(signed_request, user_signer):
    _, cert = user_signer
    signature = signed_request.findall(ds("Signature"))
    assert len(signature) == 1 and signed_request[-1] is signature[0]
    algorithms = {e.get("Algorithm") for e in signature[0].iter() if e.get("Algorithm")}
    assert algorithms == {
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/04/xmlenc#sha256",
    }
    key_info = signature[0].find(ds("KeyInfo"))
    assert [etree.QName(e).localname for e in key_info.iter() if isinstance(e.tag, str)] == [
        "KeyInfo",
        "X509Data",
        "X509IssuerSerial",
        "X509IssuerName",
        "X509SerialNumber",
    ]
    assert int(key_info.findtext(f".//{ds('X509SerialNumber')}")) == cert.serial_number


def test_reference_digest_is_inclusive_c14n_of_the_unsigned_document(signed_request):
    """What a spec-following verifier (DCC Boxed, Santuario) recomputes when Transforms lists only
    enveloped-signature: SHA-256 over inclusive C14N 1.0 of the document without its signature."""
    digest = signed_request.findtext(f"{ds('Signature')}/{ds('SignedInfo')}/{ds('Reference')}/{ds('DigestValue')}")
    c14n = etree.tostring(strip_signature(signed_request), method="c14n", exclusive=False)
    assert base64.b64decode(digest) == hashlib.sha256(c14n).digest()


def test_strip_signature_keeps_the_text_around_it_and_leaves_the_input_alone(templates):
    original = parse_request(templates[0]).to_xml()
    signature = etree.SubElement(original, ds("Signature"))
    original.find(sr("Body")).tail, signature.tail = "\n  ", "\n"
    stripped = strip_signature(original)
    assert stripped.find(ds("Signature")) is None and original.find(ds("Signature")) is not None
    # as the enveloped-signature transform does: only the element goes, the text around it stays
    assert stripped.find(sr("Body")).tail == "\n  \n"


def test_tampered_body_fails_verification(signed_request, store):
    verify(signed_request, store)
    leaf = _first_leaf(signed_request.find(sr("Body")))
    leaf.text = leaf.text + "0" if not leaf.text.endswith("0") else leaf.text[:-1] + "1"
    with pytest.raises(SignatureError, match="does not verify"):
        verify(signed_request, store)


def test_tampered_request_id_fails_verification(signed_request, store):
    node = signed_request.find(f"{sr('Header')}/{sr('RequestID')}")
    rid = RequestId.parse(node.text)
    node.text = str(RequestId(rid.originator, rid.target, rid.counter + 1))
    with pytest.raises(SignatureError):
        verify(to_bytes(signed_request), store)


def test_tampered_signature_value_fails_verification(signed_request, store):
    value = signed_request.find(f"{ds('Signature')}/{ds('SignatureValue')}")
    value.text = ("A" if value.text[0] != "A" else "B") + value.text[1:]
    with pytest.raises(SignatureError):
        verify(signed_request, store)


def test_wrong_key_fails_verification(signed_request, other_signer, store):
    _, other_cert = other_signer
    # claim the other User's certificate: the signature was made with a different key
    serial = signed_request.find(f".//{ds('X509SerialNumber')}")
    serial.text = str(other_cert.serial_number)
    with pytest.raises(SignatureError, match="does not verify"):
        verify(signed_request, store)


def test_unknown_certificate_role_and_entity_are_rejected(signed_request, other_signer, store):
    _, other_cert = other_signer
    with pytest.raises(SignatureError, match="no certificate"):
        verify(signed_request, other_cert)
    with pytest.raises(SignatureError, match="role"):
        verify(signed_request, store, roles={DSP_XML_SIGN_ROLE})
    with pytest.raises(SignatureError, match="entity"):
        verify(signed_request, store, entity=OTHER_USER)
    ok = verify(signed_request, list(store), roles={XML_SIGN_ROLE}, entity=SUPPLIER)
    assert ok.role == XML_SIGN_ROLE and ok.entity_id == SUPPLIER
    assert verify(signed_request, store.lookup).certificate == ok.certificate


def test_sign_refuses_mismatched_or_unsuitable_keys(templates, user_signer, other_signer):
    unsigned = strip_signature(templates[0])
    with pytest.raises(SignatureError, match="does not belong"):
        sign(unsigned, other_signer[0], user_signer[1])
    with pytest.raises(SignatureError, match="P-256"):
        sign(unsigned, ec.generate_private_key(ec.SECP384R1()), user_signer[1])
    with pytest.raises(SignatureError, match="resign"):
        sign(templates[0], *user_signer)


def test_missing_or_duplicated_signature_is_rejected(signed_request, store):
    with pytest.raises(SignatureError, match="found 0"):
        verify(strip_signature(signed_request), store)
    doubled = copy.deepcopy(signed_request)
    doubled.append(copy.deepcopy(doubled.find(ds("Signature"))))
    with pytest.raises(SignatureError, match="found 2"):
        verify(doubled, store)


def test_resign_replaces_a_valid_signature(signed_request, other_signer, store):
    again = resign(signed_request, *other_signer)
    assert len(again.findall(ds("Signature"))) == 1
    assert verify(again, store).entity_id == OTHER_USER
    assert verify(signed_request, store).entity_id == SUPPLIER  # the input was not modified


def test_dcc_boxed_signed_response_verifies(corpus: Path, store, schema):
    """Interop: a response signed by DCC Boxed itself verifies (inclusive-C14N reference digest)."""
    sample = corpus / "duis" / "samples" / "message.xml"
    if not sample.is_file():
        pytest.skip("no DCC Boxed sample response in the corpus")
    response = parse_response(sample)
    assert response.response_id == response.request_id.swapped()
    assert schema.validate(sample) == []
    verified = verify(sample, store, at=response.response_datetime)
    assert verify(sample, store, at=response.response_datetime.replace(tzinfo=None)).entity_id == DCC
    assert verified.entity_id == DCC
    # its certificate has since expired: verification time matters
    with pytest.raises(SignatureError):
        verify(sample, store, at=datetime(2030, 1, 1, tzinfo=UTC))


# --- responses and alerts --------------------------------------------------------------------------


def _responses() -> dict[str, DuisResponse]:
    rid = RequestId(SUPPLIER, ESME, 1_700_000_000_123)
    return {
        "I0 GBCS payload": device_response(rid, "4.1.1", bytes(range(40)), at=WHEN),
        "I99 acknowledgement": acknowledgement(rid, "8.11", at=WHEN),
        "E12 error": error_response(rid, "1.1.1", "E12", at=WHEN),
        "future-dated 8F67": future_dated_response(rid, "1.1.1", FutureDatedAlert(0x8F67, b"\xdf\x09", 2, 5), at=WHEN),
        "device alert": device_alert(rid.swapped(), DeviceAlert("8f35", b"\xdd\x00\x01", None, None), at=WHEN),
        "device alert throttled": device_alert(rid.swapped(), DeviceAlert(0x8F35, b"\xdd", 7, 120), at=WHEN),
        "device alert count only": device_alert(rid.swapped(), DeviceAlert(0x8F35, b"\xdd", None, 3), at=WHEN),
        "DCC alert N24": dcc_alert(DCCAlert("N24", UpdateHANDeviceLogResult(rid)), request_id=rid, at=WHEN),
        "DCC alert throttled": dcc_alert(DCCAlert("N24", UpdateHANDeviceLogResult(rid), 1, 2), at=WHEN),
        **{
            f"quarantined {breach}": dcc_alert(
                DCCAlert("N42", QuarantinedRequest(rid, 10**19 + 7, breach)), response_id=rid.swapped(), at=WHEN
            )
            for breach in QUARANTINE_BREACHES
        },
    }


@pytest.mark.parametrize("name", list(_responses()))
def test_response_builders_validate_sign_verify_and_round_trip(name, schema, dcc_signer, store):
    response = _responses()[name]
    unsigned = response.to_xml()
    assert schema.validate(unsigned) == []
    signed = sign(unsigned, *dcc_signer)
    assert schema.validate(signed) == []
    verify(to_bytes(signed), store, roles={DSP_XML_SIGN_ROLE}, entity=DCC)
    parsed = parse_response(to_bytes(signed))
    assert parsed == response
    assert parsed.signature is not None


def test_throttling_fields_are_written_only_when_set_and_in_xsd_order():
    rid = RequestId(ESME, SUPPLIER, 5)
    plain = device_alert(rid, DeviceAlert(0x8F35, b"\x00"), at=WHEN).to_xml()
    throttled = device_alert(rid, DeviceAlert(0x8F35, b"\x00", 4, 9), at=WHEN).to_xml()

    def names(doc):
        return [etree.QName(e).localname for e in doc.find(f"{sr('Body')}/{sr('DeviceAlertMessage')}")]

    assert names(plain) == ["AlertCode", "GBCSPayload"]
    assert names(throttled) == ["AlertCode", "ThrottledAlertSequenceId", "ThrottledAlertCount", "GBCSPayload"]


def test_every_response_code_in_the_xsd_builds_a_valid_response(schema):
    rid = RequestId(SUPPLIER, ESME, 9)
    codes = schema.enumeration("ResponseCode")
    for code in codes:
        if code[0] in "EW":
            response = error_response(rid, "6.15.1", code, at=WHEN)
        else:
            response = DuisResponse(code, WHEN, ResponseMessage("6.15.1"), request_id=rid)
        assert schema.validate(response.to_xml()) == [], code
    with pytest.raises(ValueError):
        error_response(rid, "6.15.1", "I0")


def test_every_dcc_alert_code_in_the_xsd_validates_and_n32_does_not(schema):
    rid = RequestId(SUPPLIER, DCC, 9)
    codes = schema.enumeration("DCCAlertCode")
    assert "N32" not in codes
    for code in [*codes, "N32"]:
        errors = schema.validate(dcc_alert(DCCAlert(code, UpdateHANDeviceLogResult(rid)), at=WHEN).to_xml())
        assert (errors == []) == (code != "N32"), (code, errors)


def test_other_response_payloads_and_dcc_alerts_pass_through(schema):
    precommand = etree.Element(sr("PreCommand"))
    etree.SubElement(precommand, sr("GBCSVersion")).text = "0400"
    etree.SubElement(precommand, sr("GBCSPayload")).text = "3QA="
    outage = etree.Element(sr("PowerOutageEvent"))
    etree.SubElement(outage, sr("CommsHubDeviceID")).text = "00-DB-12-34-56-78-90-A2"
    etree.SubElement(outage, sr("StartDateTime")).text = "2026-01-15T09:30:00Z"
    etree.SubElement(outage, sr("MPxN")).text = "1234567890123"
    rid = RequestId(SUPPLIER, ESME, 3)
    for response in (
        DuisResponse("I0", WHEN, ResponseMessage("1.1.1", other_xml=etree.tostring(precommand)), request_id=rid),
        dcc_alert(DCCAlert("AD1", RawDCCAlert.of(outage)), at=WHEN),
    ):
        doc = response.to_xml()
        assert schema.validate(doc) == []
        rebuilt = parse_response(to_bytes(doc)).to_xml()
        assert etree.tostring(rebuilt, method="c14n") == etree.tostring(doc, method="c14n")


def test_response_message_holds_one_payload_only():
    with pytest.raises(ValueError, match="at most one"):
        ResponseMessage("4.1.1", gbcs_payload=b"x", other_xml=b"<x/>")


def test_parse_response_reports_bad_payloads():
    doc = device_response(RequestId(SUPPLIER, ESME, 3), "4.1.1", b"abc", at=WHEN).to_xml()
    doc.find(f".//{sr('GBCSPayload')}").text = "not*base64"
    with pytest.raises(DuisParseError, match="base64"):
        parse_response(doc)


def test_unknown_quarantine_breach_is_rejected():
    with pytest.raises(ValueError, match="breach"):
        QuarantinedRequest(RequestId(SUPPLIER, ESME, 1), 1, "Daily")


# --- properties ------------------------------------------------------------------------------------

euis = st.binary(min_size=8, max_size=8)
counters = st.integers(min_value=0, max_value=2**64 - 1)
u32 = st.none() | st.integers(min_value=0, max_value=2**32 - 1)


@given(euis, euis, counters)
def test_request_id_round_trips(originator, target, counter):
    rid = RequestId(originator, target, counter)  # type: ignore[arg-type]
    assert RequestId.parse(str(rid)) == rid
    assert RequestId.parse(str(rid).lower()) == rid
    assert rid.swapped().swapped() == rid
    assert str(rid).count(":") == 2 and str(rid).split(":")[2] == str(counter)


@given(euis, euis, st.integers(min_value=2**64) | st.integers(max_value=-1))
def test_request_id_rejects_out_of_range_counters(originator, target, counter):
    with pytest.raises(ValueError):
        RequestId(originator, target, counter)  # type: ignore[arg-type]


_EUI_RE = r"([0-9a-fA-F]{2}-){7}[0-9a-fA-F]{2}"


@given(st.text(max_size=40) | st.from_regex(rf"{_EUI_RE}:{_EUI_RE}:\d{{1,21}}", fullmatch=True))
def test_request_id_parse_accepts_exactly_the_canonical_form(text):
    try:
        rid = RequestId.parse(text)
    except DuisParseError:
        return  # the only exception parse may raise
    assert str(rid).lower() == text.strip().lower()


@settings(max_examples=40, deadline=None)
@given(originator=euis, target=euis, counter=counters)
def test_any_readdressed_template_validates_and_round_trips(templates, schema, originator, target, counter):
    template = parse_request(templates[-1])
    moved = readdress(template, originator=originator, target=target, counter=counter)
    doc = moved.to_xml()
    assert schema.validate(doc) == []
    assert parse_request(to_bytes(doc)) == moved


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.integers(min_value=0, max_value=0xFFFF),
    payload=st.binary(min_size=1, max_size=300),
    sequence_id=u32,
    count=u32,
    counter=counters,
)
def test_device_alert_round_trips_and_validates(schema, code, payload, sequence_id, count, counter):
    response = device_alert(RequestId(ESME, SUPPLIER, counter), DeviceAlert(code, payload, sequence_id, count), at=WHEN)
    doc = response.to_xml()
    assert schema.validate(doc) == []
    assert parse_response(to_bytes(doc)) == response


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ref=st.integers(min_value=-(10**20) + 1, max_value=10**20 - 1),
    breach=st.sampled_from(QUARANTINE_BREACHES),
    counter=counters,
    when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_quarantine_alert_round_trips_and_validates(schema, ref, breach, counter, when):
    rid = RequestId(SUPPLIER, ESME, counter)
    response = dcc_alert(DCCAlert("N42", QuarantinedRequest(rid, ref, breach)), response_id=rid.swapped(), at=when)
    doc = response.to_xml()
    assert schema.validate(doc) == []
    assert parse_response(doc) == response


def test_duis_request_equality_ignores_signature_but_not_body(templates):
    request = parse_request(templates[0])
    assert request == parse_request(strip_signature(templates[0]))
    assert request != readdress(request, counter=request.request_id.counter + 1)
    changed = copy.deepcopy(request.body)
    _first_leaf(changed).text += "1"
    assert request != DuisRequest(request.request_id, request.command_variant, request.srv, changed)
