"""Key and certificate loading, a certificate store keyed by issuer and serial, SMKI subject fields."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_private_key, load_pem_private_key
from cryptography.x509.oid import NameOID

XML_SIGN_ROLE = 0x87
"""SMKI Remote Party Role of a User's xmlSign certificate (signs DUIS requests)."""
DSP_XML_SIGN_ROLE = 0x89
"""SMKI Remote Party Role of the DCC's dspXmlSign certificate (signs DUIS responses and alerts)."""

KeySource = str | os.PathLike | bytes
"""A file path, or the PEM/DER bytes themselves."""

_ATTRIBUTE_ALIASES = {
    "2.5.4.3": "CN",
    "2.5.4.11": "OU",
    "2.5.4.10": "O",
    "2.5.4.6": "C",
    "2.5.4.45": "X500UNIQUEIDENTIFIER",
}


def _read(source: KeySource) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def load_private_key(source: KeySource, password: bytes | None = None) -> ec.EllipticCurvePrivateKey:
    """An EC private key from a PEM or DER (PKCS#8 / SEC1) file or bytes."""
    data = _read(source)
    key = load_pem_private_key(data, password) if b"-----BEGIN" in data else load_der_private_key(data, password)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"expected an EC private key, got {type(key).__name__}")
    return key


def load_certificate(source: KeySource) -> x509.Certificate:
    """An X.509 certificate from a PEM or DER file or bytes."""
    data = _read(source)
    return x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)


def issuer_key(name: str | x509.Name) -> frozenset[tuple[str, str]]:
    """A comparable form of a distinguished name: attribute order, spacing and key case are ignored,
    so ``CN=Z1,OU=07`` (RFC 4514, as DCC Boxed writes it) equals ``OU=07, CN=Z1``."""
    text = name.rfc4514_string() if isinstance(name, x509.Name) else name
    pairs = set()
    for part in re.split(r"(?<!\\)[,+;]", text):
        if "=" not in part:
            continue
        attr, value = part.split("=", 1)
        attr = attr.strip().upper()
        pairs.add((_ATTRIBUTE_ALIASES.get(attr, attr), value.strip().replace("\\", "")))
    return frozenset(pairs)


def role_code(cert: x509.Certificate) -> int | None:
    """The SMKI Remote Party Role from the subject OU (two hex digits, e.g. ``87`` = xmlSign), or None."""
    values = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    try:
        return int(str(values[0].value), 16) if values else None
    except ValueError:
        return None


def entity_id(cert: x509.Certificate) -> str | None:
    """The organisation's EUI-64 entity ID from the subject x500UniqueIdentifier, as ``90-B3-...``."""
    values = cert.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)
    if not values:
        return None
    raw = values[0].value
    raw = raw if isinstance(raw, bytes) else str(raw).encode()
    octets = raw[-8:] if len(raw) >= 8 else raw  # BIT STRING content: an unused-bits octet, then the EUI
    return "-".join(f"{b:02X}" for b in octets)


_MAX_FOUND = 4096


class CertStore:
    """Certificates looked up by (issuer name, serial number), as ``ds:X509IssuerSerial`` names them."""

    def __init__(self, certs: Iterable[x509.Certificate] = ()) -> None:
        self._by_serial: dict[int, list[x509.Certificate]] = {}
        self._found: dict[tuple[str, int], x509.Certificate] = {}  # lookups already answered (hits only)
        for cert in certs:
            self.add(cert)

    @classmethod
    def from_directory(cls, directory: str | os.PathLike, pattern: str = "*.pem") -> CertStore:
        """Every certificate matching ``pattern`` in ``directory`` (files that are not certificates are skipped)."""
        store = cls()
        for path in sorted(Path(directory).glob(pattern)):
            try:
                store.add(load_certificate(path))
            except ValueError:
                continue
        return store

    def add(self, cert: x509.Certificate) -> None:
        """Add ``cert`` (duplicates are ignored)."""
        bucket = self._by_serial.setdefault(cert.serial_number, [])
        if cert not in bucket:
            bucket.append(cert)
            self._found.clear()

    def lookup(self, issuer_name: str, serial_number: int) -> x509.Certificate | None:
        """The certificate with this serial whose issuer matches ``issuer_name``, or None."""
        found = self._found.get((issuer_name, serial_number))
        if found is not None:
            return found
        wanted = issuer_key(issuer_name)
        for cert in self._by_serial.get(serial_number, ()):
            if issuer_key(cert.issuer) == wanted:
                if len(self._found) >= _MAX_FOUND:
                    self._found.clear()
                self._found[(issuer_name, serial_number)] = cert
                return cert
        return None

    def __iter__(self) -> Iterator[x509.Certificate]:
        for bucket in self._by_serial.values():
            yield from bucket

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._by_serial.values())
