"""The DUIS XML-DSig profile computed directly with lxml's C14N and ``cryptography`` (the hot path).

One profile only, the one :mod:`.signing` documents: ``Reference URI=""`` with the
enveloped-signature transform, SHA-256 digest of the document in inclusive C14N 1.0, SignedInfo
in exclusive C14N, ECDSA-SHA256 as raw r||s.  :func:`sign` writes exactly that;
:func:`verify` checks a signature written in exactly that profile and returns None for anything
else, so the caller falls back to signxml, which stays the reference implementation (the tests
check each direction against it).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from lxml import etree

from .errors import SignatureError
from .namespaces import DS, ds

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_HALF = 32  # P-256: r and s are 32 bytes each


def _digest(root: etree._Element) -> bytes:
    """SHA-256 of the document in inclusive C14N 1.0 (no comments)."""
    return hashlib.sha256(etree.tostring(root, method="c14n")).digest()


def _signed_info(digest: bytes) -> etree._Element:
    signed_info = etree.Element(ds("SignedInfo"), nsmap={"ds": DS})
    etree.SubElement(signed_info, ds("CanonicalizationMethod"), Algorithm=EXC_C14N)
    etree.SubElement(signed_info, ds("SignatureMethod"), Algorithm=ECDSA_SHA256)
    reference = etree.SubElement(signed_info, ds("Reference"), URI="")
    etree.SubElement(etree.SubElement(reference, ds("Transforms")), ds("Transform"), Algorithm=ENVELOPED)
    etree.SubElement(reference, ds("DigestMethod"), Algorithm=SHA256)
    etree.SubElement(reference, ds("DigestValue")).text = base64.b64encode(digest).decode()
    return signed_info


def sign(
    root: etree._Element, key: ec.EllipticCurvePrivateKey, key_info: etree._Element, *, in_place: bool = False
) -> etree._Element:
    """A signed copy of ``root`` (no signature yet), the ``ds:Signature`` appended as its last child.

    ``in_place`` signs ``root`` itself (for a document the caller has just built and owns).
    """
    digest = base64.b64encode(_digest(root)).decode()
    signed = root if in_place else root.__deepcopy__(None)  # copy.deepcopy's memo costs more than the copy
    if any(uri == DS and prefix != "ds" for prefix, uri in signed.nsmap.items()):
        # The document binds XML-DSig to another prefix (or the default namespace): build the
        # signature element by element, declaring ds: on it, and sign its SignedInfo as placed.
        signature = etree.SubElement(signed, ds("Signature"), nsmap={"ds": DS})
        signed_info = _signed_info(base64.b64decode(digest))
        signature.append(signed_info)
        der = key.sign(etree.tostring(signed_info, method="c14n", exclusive=True), _ECDSA_SHA256)
        r, s = decode_dss_signature(der)
        raw = r.to_bytes(_HALF, "big") + s.to_bytes(_HALF, "big")
        etree.SubElement(signature, ds("SignatureValue")).text = base64.b64encode(raw).decode()
        signature.append(copy.deepcopy(key_info))
        return signed
    signature = signature_template(key_info)  # canonicalises exactly as the cached SignedInfo bytes
    signature[0][2][2].text = digest  # SignedInfo/Reference/DigestValue
    signature[1].text = signature_value(key, digest)
    signed.append(signature)
    return signed


def signature_value(key: ec.EllipticCurvePrivateKey, digest: str) -> str:
    """The SignatureValue text (base64 r||s) over the SignedInfo of this profile with DigestValue ``digest``."""
    prefix, suffix = _SIGNED_INFO_C14N
    r, s = decode_dss_signature(key.sign(prefix + digest.encode() + suffix, _ECDSA_SHA256))
    return base64.b64encode(r.to_bytes(_HALF, "big") + s.to_bytes(_HALF, "big")).decode()


def signature_template(key_info: etree._Element) -> etree._Element:
    """A fresh ``ds:Signature`` for ``key_info`` with empty DigestValue and SignatureValue to fill in."""
    return _template(key_info).__deepcopy__(None)


def _template(key_info: etree._Element) -> etree._Element:
    """The ``ds:Signature`` skeleton for one KeyInfo (cached while that KeyInfo element lives)."""
    hit = _templates.get(id(key_info))
    if hit is not None and hit[0] is key_info:
        return hit[1]
    signature = etree.Element(ds("Signature"), nsmap={"ds": DS})
    signature.append(_signed_info(bytes(32)))
    etree.SubElement(signature, ds("SignatureValue"))
    signature.append(copy.deepcopy(key_info))
    if len(_templates) >= _MAX_TEMPLATES:
        _templates.clear()
    _templates[id(key_info)] = (key_info, signature)
    return signature


def _signed_info_c14n() -> tuple[bytes, bytes]:
    """Exclusive C14N of SignedInfo split around the DigestValue text (it depends on nothing else)."""
    text = etree.tostring(_signed_info(bytes(32)), method="c14n", exclusive=True)
    placeholder = base64.b64encode(bytes(32))
    start = text.index(b">" + placeholder + b"<") + 1
    return text[:start], text[start + len(placeholder) :]


_SIGNED_INFO_C14N = _signed_info_c14n()
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_MAX_TEMPLATES = 64
_templates: dict[int, tuple[etree._Element, etree._Element]] = {}


_DS_SIGNED_INFO = ds("SignedInfo")
_DS_SIGNATURE_VALUE = ds("SignatureValue")
_SIGNED_INFO_TAGS = [ds("CanonicalizationMethod"), ds("SignatureMethod"), ds("Reference")]
_REFERENCE_TAGS = [ds("Transforms"), ds("DigestMethod"), ds("DigestValue")]


def _profile(signature: etree._Element) -> tuple[etree._Element, bytes, bytes] | None:
    """(SignedInfo, digest, r||s) when the signature is written in exactly this profile, else None."""
    children = [c for c in signature if isinstance(c.tag, str)]
    if len(children) < 2 or children[0].tag != _DS_SIGNED_INFO or children[1].tag != _DS_SIGNATURE_VALUE:
        return None
    signed_info = children[0]
    parts = [c for c in signed_info if isinstance(c.tag, str)]
    if [p.tag for p in parts] != _SIGNED_INFO_TAGS:
        return None
    if parts[0].get("Algorithm") != EXC_C14N or parts[1].get("Algorithm") != ECDSA_SHA256:
        return None
    if len(parts[0]) or len(parts[1]) or parts[2].get("URI") != "":
        return None
    reference = [c for c in parts[2] if isinstance(c.tag, str)]
    if [c.tag for c in reference] != _REFERENCE_TAGS:
        return None
    transforms = [t for t in reference[0] if isinstance(t.tag, str)]
    if len(transforms) != 1 or transforms[0].get("Algorithm") != ENVELOPED or len(transforms[0]):
        return None
    if reference[1].get("Algorithm") != SHA256:
        return None
    try:
        digest = base64.b64decode((reference[2].text or "").strip(), validate=True)
        value = base64.b64decode("".join((children[1].text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(digest) != 32 or len(value) != 2 * _HALF:
        return None
    return signed_info, digest, value


def without_signatures(root: etree._Element) -> etree._Element:
    """A copy of the document without its signatures, keeping the text after them (the enveloped transform)."""
    stripped = root.__deepcopy__(None)
    for sig in stripped.findall(ds("Signature")):
        previous = sig.getprevious()
        if sig.tail:
            if previous is not None:
                previous.tail = (previous.tail or "") + sig.tail
            else:
                stripped.text = (stripped.text or "") + sig.tail
        stripped.remove(sig)
    return stripped


def _p256_key(cert: x509.Certificate) -> ec.EllipticCurvePublicKey | None:
    """The certificate's P-256 public key (None for any other key), looked up once per certificate object."""
    hit = _public_keys.get(id(cert))
    if hit is not None and hit[0] is cert:
        return hit[1]
    public = cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(public.curve, ec.SECP256R1):
        public = None
    if len(_public_keys) >= _MAX_TEMPLATES:
        _public_keys.clear()
    _public_keys[id(cert)] = (cert, public)
    return public


_public_keys: dict[int, tuple[x509.Certificate, ec.EllipticCurvePublicKey | None]] = {}


def verify(root: etree._Element, signature: etree._Element, cert: x509.Certificate) -> etree._Element | None:
    """The signed content (the document without its signature) when the signature verifies.

    None when the signature is not written in this profile (let signxml decide); raises
    :class:`SignatureError` when it is and does not verify.
    """
    found = _profile(signature)
    if found is None:
        return None
    signed_info, digest, value = found
    public = _p256_key(cert)
    if public is None:
        return None
    content = without_signatures(root)
    if _digest(content) != digest:
        raise SignatureError("signature does not verify: the document digest does not match (content changed)")
    der = encode_dss_signature(int.from_bytes(value[:_HALF], "big"), int.from_bytes(value[_HALF:], "big"))
    try:
        public.verify(der, etree.tostring(signed_info, method="c14n", exclusive=True), _ECDSA_SHA256)
    except InvalidSignature:
        raise SignatureError("signature does not verify: the SignatureValue is not valid for SignedInfo") from None
    return content
