"""Enveloped XML-DSig for DUIS messages, with signxml, in the profile DCC Boxed uses.

Profile: ``Reference URI=""`` with the enveloped-signature transform only, SHA-256 digest,
SignedInfo canonicalised with exclusive C14N and signed with ECDSA-SHA256 (raw r||s), and a
``KeyInfo`` holding only ``X509Data/X509IssuerSerial``; the verifier needs a certificate store.
With no explicit C14N transform the reference is digested with inclusive C14N 1.0, the XML-DSig
default, which is what DCC Boxed computes (checked against a DCC Boxed signed response).
Requests are signed with the User's xmlSign (role 0x87) key, responses with the DCC's
dspXmlSign (0x89) key.  Signing, and verifying signatures written in exactly this profile, run
on :mod:`.fast_dsig` (lxml C14N + ``cryptography``); signxml verifies anything else and is the
reference the fast path is tested against (:func:`sign_with_signxml`).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner, XMLVerifier
from signxml.exceptions import SignXMLException
from signxml.verifier import SignatureConfiguration

from . import fast_dsig
from .errors import DuisParseError, SignatureError
from .keys import CertStore, entity_id, role_code
from .namespaces import DS, ds
from .request_id import normalise_eui
from .response import DuisResponse, ResponseMessage, build_response, placeholder_response
from .xmlio import XmlSource, encode_b64, format_datetime, parse_xml, to_bytes

CertLookup = Callable[[str, int], x509.Certificate | None]
"""``lookup(issuer_name, serial_number)`` returning the signer's certificate or None."""
Certs = x509.Certificate | Iterable[x509.Certificate] | CertStore | CertLookup

_VERIFY_CONFIG = SignatureConfiguration(
    location="./",
    expect_references=1,
    signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
)


@dataclass(frozen=True)
class VerifiedSignature:
    """The outcome of a successful :func:`verify`.  Use ``signed_xml``: it is what was signed."""

    certificate: x509.Certificate
    issuer_name: str
    serial_number: int
    entity_id: str | None
    """The signer's EUI-64 from its certificate subject."""
    role: int | None
    """SMKI Remote Party Role of the signing certificate (0x87 xmlSign, 0x89 dspXmlSign)."""
    signed_xml: etree._Element


class _DuisSigner(XMLSigner):
    """XMLSigner digesting the whole-document reference with inclusive C14N 1.0 and listing no C14N
    transform, as the DUIS templates and DCC Boxed do (signxml would otherwise digest with the
    SignedInfo method, exclusive C14N, which other verifiers would not reproduce)."""

    def _unpack(self, data, references):  # noqa: ANN001, ANN202 - signxml hook
        sig_root, doc_root, c14n_inputs, refs = super()._unpack(data, references)
        refs = [dataclasses.replace(r, c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0) for r in refs]
        return sig_root, doc_root, c14n_inputs, refs


def _key_info(cert: x509.Certificate) -> etree._Element:
    key_info = etree.Element(ds("KeyInfo"), nsmap={"ds": DS})
    issuer_serial = etree.SubElement(etree.SubElement(key_info, ds("X509Data")), ds("X509IssuerSerial"))
    etree.SubElement(issuer_serial, ds("X509IssuerName")).text = cert.issuer.rfc4514_string()
    etree.SubElement(issuer_serial, ds("X509SerialNumber")).text = str(cert.serial_number)
    return key_info


def _signatures(root: etree._Element) -> list[etree._Element]:
    return root.findall(ds("Signature"))


def strip_signature(doc: XmlSource) -> etree._Element:
    """A copy of the document root without its enveloped ``ds:Signature`` element(s).

    As the enveloped-signature transform does, the text after a signature is kept, so the result
    canonicalises to exactly what was signed.
    """
    return fast_dsig.without_signatures(parse_xml(doc))


def sign(
    doc: XmlSource, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, *, in_place: bool = False
) -> etree._Element:
    """A signed copy of ``doc`` (the input is not modified), the signature as the root's last child.

    ``in_place`` signs a parsed or built root itself instead of a copy (for a document the caller owns).
    Raises :class:`SignatureError` when ``doc`` already carries a signature (use :func:`resign`),
    when ``key`` is not a P-256 key or does not belong to ``cert``.
    """
    root = parse_xml(doc)
    if _signatures(root):
        raise SignatureError("document already has a ds:Signature; use resign() to replace it")
    return fast_dsig.sign(root, key, _signer_key_info(key, cert), in_place=in_place)


def _signer_key_info(key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> etree._Element:
    """The KeyInfo of ``cert`` once ``key`` is checked to be its P-256 private key (cached per pair)."""
    slot = (id(key), id(cert))
    hit = _signers.get(slot)
    if hit is not None and hit[0] is key and hit[1] is cert:
        return hit[2]
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SignatureError("DUIS signing needs an ECDSA P-256 private key")
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        raise SignatureError("the private key does not belong to the certificate")
    key_info = _key_info(cert)
    if len(_signers) >= _MAX_CACHED:
        _signers.clear()
    _signers[slot] = (key, cert, key_info)
    return key_info


_MAX_CACHED = 256
# (id(key), id(cert)) -> (key, cert, KeyInfo); holding the objects keeps their ids from being reused
_signers: dict[tuple[int, int], tuple[ec.EllipticCurvePrivateKey, x509.Certificate, etree._Element]] = {}


def sign_response(response: DuisResponse, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> bytes:
    """``to_bytes(sign(response.to_xml(), key, cert))``: the signed document's bytes.

    The common responses (a ResponseMessage with a GBCS payload or none) are written from
    templates that lxml itself produced for that shape, the signer's KeyInfo and placeholder
    texts: their inclusive C14N (what is digested) and their serialisation are cut at the
    placeholders, and each response fills in its texts.  Only texts that neither form escapes
    (ASCII letters, digits and ``+/=:.-``) take this path; anything else is built and signed
    as a tree.  The bytes are the same either way (the tests compare the two).
    """
    key_info = _signer_key_info(key, cert)
    texts = _template_texts(response)
    if texts is None:
        return to_bytes(sign(response.to_xml(), key, cert, in_place=True))
    body = response.body
    assert isinstance(body, ResponseMessage)
    shape = (response.request_id is not None, response.response_id is not None, body.gbcs_payload is not None)
    c14n_parts, document_parts = _response_template(shape, key_info)
    digest = base64.b64encode(hashlib.sha256(_interleave(c14n_parts, texts).encode()).digest()).decode()
    value = fast_dsig.signature_value(key, digest)
    return _interleave(document_parts, [*texts, digest, value]).encode()


_SAFE_TEXT = re.compile(r"[A-Za-z0-9+/=:.\-]*")


def _template_texts(response: DuisResponse) -> list[str] | None:
    """The texts of a template-shaped response in document order, or None (not that shape, or unsafe text)."""
    body = response.body
    if type(body) is not ResponseMessage or body.future_dated_alert is not None or body.other_xml is not None:
        return None
    texts = [response.schema_version]
    if response.request_id is not None:
        texts.append(str(response.request_id))
    if response.response_id is not None:
        texts.append(str(response.response_id))
    texts += [
        response.response_code,
        format_datetime(response.response_datetime),
        body.service_reference,
        body.service_reference_variant,
    ]
    if body.gbcs_payload is not None:
        texts.append(encode_b64(body.gbcs_payload))
    safe = _SAFE_TEXT.fullmatch
    return texts if all(type(text) is str and safe(text) for text in texts) else None


def _interleave(parts: tuple[str, ...], texts: list[str]) -> str:
    out = [parts[0]]
    for text, part in zip(texts, parts[1:], strict=True):
        out.append(text)
        out.append(part)
    return "".join(out)


def _response_template(shape: tuple[bool, bool, bool], key_info: etree._Element) -> tuple[tuple[str, ...], ...]:
    """(C14N parts, document parts) of a response shape signed with one KeyInfo (cached)."""
    slot = (shape, id(key_info))
    hit = _response_templates.get(slot)
    if hit is not None and hit[0] is key_info:
        return hit[1]
    root = build_response(placeholder_response(shape))
    markers = [f"SMETSIMSLOT{i}X" for i in range(8 + 2)]
    slots = iter(markers)
    root.set("schemaVersion", next(slots))
    for element in (*root[0], *root[1][0]):
        element.text = next(slots)
    used = markers[: len(root[0]) + len(root[1][0]) + 1]
    c14n = etree.tostring(root, method="c14n").decode()
    signature = fast_dsig.signature_template(key_info)
    digest_marker, value_marker = markers[len(used)], markers[len(used) + 1]
    signature[0][2][2].text = digest_marker
    signature[1].text = value_marker
    root.append(signature)
    if signature.prefix != "ds":  # pragma: no cover - the responses declare ds: on the root
        raise AssertionError("the response template does not keep the ds: prefix")
    document = to_bytes(root).decode()
    parts = (_cut(c14n, used), _cut(document, [*used, digest_marker, value_marker]))
    if len(_response_templates) >= _MAX_CACHED:
        _response_templates.clear()
    _response_templates[slot] = (key_info, parts)
    return parts


def _cut(text: str, markers: list[str]) -> tuple[str, ...]:
    """``text`` split at each marker, which must occur once each and in this order."""
    parts = []
    for marker in markers:
        if text.count(marker) != 1:
            raise AssertionError(f"template marker {marker} occurs {text.count(marker)} times")
        before, text = text.split(marker)
        parts.append(before)
    parts.append(text)
    return tuple(parts)


_response_templates: dict[tuple[tuple[bool, bool, bool], int], tuple[etree._Element, tuple[tuple[str, ...], ...]]] = {}


def sign_with_signxml(doc: XmlSource, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> etree._Element:
    """:func:`sign` done by signxml, the reference implementation the fast path is checked against."""
    signer = _DuisSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    try:
        return signer.sign(parse_xml(doc), key=key, key_info=_key_info(cert), exclude_c14n_transform_element=True)
    except SignXMLException as exc:
        raise SignatureError(f"signing failed: {exc}") from exc


def resign(doc: XmlSource, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> etree._Element:
    """Strip any existing (e.g. placeholder ``ZGVmYXVsdA==``) signature and sign anew."""
    return sign(strip_signature(doc), key, cert)


def _resolver(certs: Certs) -> CertLookup:
    if isinstance(certs, CertStore):
        return certs.lookup
    if isinstance(certs, x509.Certificate):
        return CertStore([certs]).lookup
    if callable(certs):
        return certs
    return CertStore(certs).lookup


_ISSUER_SERIAL_PATH = f"{ds('KeyInfo')}/{ds('X509Data')}/{ds('X509IssuerSerial')}"
_REFERENCE_PATH = f"{ds('SignedInfo')}/{ds('Reference')}"


def _issuer_serial(signature: etree._Element) -> tuple[str, int]:
    node = signature.find(_ISSUER_SERIAL_PATH)
    if node is None:
        raise SignatureError("ds:Signature has no KeyInfo/X509Data/X509IssuerSerial")
    issuer = (node.findtext(ds("X509IssuerName")) or "").strip()
    serial = (node.findtext(ds("X509SerialNumber")) or "").strip()
    if not issuer or not re.fullmatch(r"[0-9]+", serial):
        raise SignatureError(f"ds:X509IssuerSerial is incomplete (issuer {issuer!r}, serial {serial!r})")
    return issuer, int(serial)


def _facts(cert: x509.Certificate) -> tuple[int | None, str | None, datetime, datetime]:
    """(role, entity ID, not before, not after) of a certificate, read once per certificate object."""
    hit = _cert_facts.get(id(cert))
    if hit is not None and hit[0] is cert:
        return hit[1]
    facts = (role_code(cert), entity_id(cert), cert.not_valid_before_utc, cert.not_valid_after_utc)
    if len(_cert_facts) >= _MAX_CACHED:
        _cert_facts.clear()
    _cert_facts[id(cert)] = (cert, facts)
    return facts


_cert_facts: dict[int, tuple[x509.Certificate, tuple[int | None, str | None, datetime, datetime]]] = {}


def verify(
    doc: XmlSource,
    certs: Certs,
    *,
    at: datetime | None = None,
    roles: Iterable[int] | None = None,
    entity: str | None = None,
) -> VerifiedSignature:
    """Verify the enveloped signature of ``doc`` against the certificate its X509IssuerSerial names.

    ``certs`` is one certificate, several, a :class:`CertStore` or a ``lookup(issuer, serial)``
    callable.  ``at`` is the time for the certificate validity check (default: now; naive = UTC); ``roles``
    restricts the acceptable SMKI roles (e.g. ``{XML_SIGN_ROLE}``) and ``entity`` the signer's EUI-64
    (e.g. the RequestID originator, which DCC Boxed tooling signs for).  Raises :class:`SignatureError`
    on any failure: no or several signatures, unknown certificate, wrong role, tampered content.
    """
    try:
        root = parse_xml(doc)
    except DuisParseError as exc:
        raise SignatureError(f"cannot verify: {exc}") from exc
    signatures = _signatures(root)
    if len(signatures) != 1:
        raise SignatureError(f"expected one enveloped ds:Signature, found {len(signatures)}")
    references = signatures[0].findall(_REFERENCE_PATH)
    if len(references) != 1 or references[0].get("URI") != "":
        raise SignatureError('the signature must have exactly one Reference, with URI="" (the whole document)')
    issuer, serial = _issuer_serial(signatures[0])
    cert = _resolver(certs)(issuer, serial)
    if cert is None:
        raise SignatureError(f"no certificate for issuer {issuer!r}, serial {serial}")
    role, signer, not_before, not_after = _facts(cert)
    if roles is not None and role not in set(roles):
        raise SignatureError(f"signing certificate has role {role!r}, expected one of {sorted(set(roles))}")
    if entity is not None and signer != normalise_eui(entity):
        raise SignatureError(f"signed by entity {signer}, expected {normalise_eui(entity)}")
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # naive times are taken as UTC
    when = at or datetime.now(UTC)
    if not not_before <= when <= not_after:
        raise SignatureError(f"signing certificate is not valid at {when:%Y-%m-%dT%H:%M:%SZ}")
    content = fast_dsig.verify(root, signatures[0], cert)
    if content is not None:
        return VerifiedSignature(cert, issuer, serial, signer, role, content)
    config = dataclasses.replace(_VERIFY_CONFIG, verification_time=at) if at is not None else _VERIFY_CONFIG
    try:
        result = XMLVerifier().verify(root, x509_cert=cert, expect_config=config)
    except (SignXMLException, etree.LxmlError, ValueError) as exc:
        raise SignatureError(f"signature does not verify: {exc}") from exc
    return VerifiedSignature(cert, issuer, serial, signer, role, result.signed_xml)  # type: ignore[union-attr]
