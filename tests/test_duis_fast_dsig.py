"""The fast XML-DSig path against signxml, the reference: each verifies the other's signatures."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from signxml import XMLVerifier

from proving.duis import fast_dsig, load_certificate, load_private_key, parse_request, readdress, sign
from proving.duis.errors import SignatureError
from proving.duis.namespaces import ds
from proving.duis.signing import _VERIFY_CONFIG, sign_with_signxml, verify


@pytest.fixture(scope="module")
def signer(corpus: Path) -> tuple:
    keys = corpus / "zaz1-keys"
    return (load_private_key(keys / "xml-sign-90B3D51F30010000-ds.key"),
            load_certificate(keys / "xml-sign-90B3D51F30010000-ds.pem"))


@pytest.fixture(scope="module")
def documents(corpus: Path) -> list[etree._Element]:
    paths = sorted((corpus / "duis" / "templates").glob("*.XML"))[::10]
    return [readdress(parse_request(p), counter=5).to_xml() for p in paths]


def test_fast_signatures_verify_with_signxml(signer: tuple, documents: list[etree._Element]) -> None:
    key, cert = signer
    for document in documents:
        signed = sign(document, key, cert)
        XMLVerifier().verify(signed, x509_cert=cert, expect_config=_VERIFY_CONFIG)


def test_signxml_signatures_verify_on_the_fast_path(signer: tuple, documents: list[etree._Element]) -> None:
    key, cert = signer
    for document in documents:
        signed = sign_with_signxml(document, key, cert)
        content = fast_dsig.verify(signed, signed.find(ds("Signature")), cert)
        assert content is not None  # the profile is recognised, so the fast path decided
        assert etree.tostring(content, method="c14n") == etree.tostring(document, method="c14n")


def test_the_fast_path_detects_tampering(signer: tuple, documents: list[etree._Element]) -> None:
    key, cert = signer
    signed = sign(documents[0], key, cert)
    header = signed.find("{http://www.dccinterface.co.uk/ServiceUserGateway}Header")
    header[0].text = header[0].text[:-1] + ("7" if header[0].text[-1] != "7" else "8")
    with pytest.raises(SignatureError, match="digest"):
        verify(signed, cert)
    resigned = sign(documents[0], key, cert)
    value = resigned.find(f"{ds('Signature')}/{ds('SignatureValue')}")
    value.text = value.text[:10] + ("A" if value.text[10] != "A" else "B") + value.text[11:]
    with pytest.raises(SignatureError):
        verify(resigned, cert)


def test_other_profiles_fall_back_to_signxml(signer: tuple, documents: list[etree._Element]) -> None:
    key, cert = signer
    signed = sign(documents[0], key, cert)
    method = signed.find(f"{ds('Signature')}/{ds('SignedInfo')}/{ds('CanonicalizationMethod')}")
    method.set("Algorithm", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    assert fast_dsig.verify(signed, signed.find(ds("Signature")), cert) is None
    with pytest.raises(SignatureError):  # signxml then decides: SignedInfo changed, so it fails
        verify(signed, cert)
