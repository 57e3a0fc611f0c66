"""``smetsim keys init``: a self-contained test PKI in the RTDS key-store layout (spec §2.1, requirements §6).

Layout of the directory (the same as the RTDS key store, so every tool reads either)::

    <eui>-ds.pem / .key       DS certificate and PKCS#8 private key
    <eui>-ka.pem / .key       KA certificate and key
    <eui>-pp-ka.pem / .key    a supplier's prepayment KA certificate and key (UTRNs)
    <eui>-xml-ds.pem / .key   the xmlSign (role 135) certificate used to sign DUIS XML
    ca/root.*, ca/z1.*, ca/e357.*   root, organisation issuing CA (OU=07, CN=Z1), device CA (CN=E357)

Profiles: organisation certificates carry subject OU = role (two hex digits) and
x500UniqueIdentifier = 00‖EUI, issuer ``OU=07, CN=Z1``, one critical key usage, 8-byte
SKI/AKI and the test certificate policy.  Device certificates have an empty subject, a
critical subjectAltName otherName hardwareModuleName with the EUI, issuer ``CN=E357`` and
notAfter 9999-12-31 23:59:59Z.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from .der import HARDWARE_MODULE_NAME, hardware_module_name

ROLE_ROOT = 0
ROLE_RECOVERY = 1
ROLE_SUPPLIER = 2
ROLE_NETWORK_OPERATOR = 3
ROLE_ACCESS_CONTROL_BROKER = 4
ROLE_TRANSITIONAL_COS = 5
ROLE_WAN_PROVIDER = 6
ROLE_ISSUING_AUTHORITY = 7
ROLE_LOAD_CONTROLLER = 8
ROLE_OTHER = 127
ROLE_XML_SIGN = 135

ORGANISATION_POLICY = "1.2.826.0.1.8641679.1.2.1.4"
DEVICE_POLICY = "1.2.826.0.1.1800000.1.2.1.4"
DEVICE_NOT_AFTER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
CA_DIR = "ca"
_CURVE = ec.SECP256R1()


@dataclass(frozen=True)
class Party:
    """A remote party: EUI-64, role code, display name and the key usages it gets."""

    eui: bytes
    role: int
    name: str
    usages: tuple[str, ...] = ("ds", "ka")


def _eui(text: str) -> bytes:
    return bytes.fromhex(text)


# The RTDS EUIs, so messages of the reference corpus can be re-secured with a fresh PKI.
DEFAULT_PARTIES: tuple[Party, ...] = (
    Party(_eui("90B3D51F30010000"), ROLE_SUPPLIER, "SUPPLIER", ("ds", "ka", "pp-ka", "xml-ds")),
    Party(_eui("90B3D51F30030000"), ROLE_SUPPLIER, "SUPPLIER2", ("ds", "ka", "pp-ka")),
    Party(_eui("90B3D51F30020000"), ROLE_NETWORK_OPERATOR, "NETWORKOPERATOR"),
    Party(_eui("90B3D51F30000002"), ROLE_ACCESS_CONTROL_BROKER, "ACB"),
    Party(_eui("90B3D51F30000004"), ROLE_TRANSITIONAL_COS, "TRANSCOS"),
    Party(_eui("90B3D51F30000007"), ROLE_WAN_PROVIDER, "WANPROVIDER"),
    Party(_eui("90B3D51F30000001"), ROLE_RECOVERY, "RECOVERY"),
    Party(_eui("90B3D51F30010008"), ROLE_LOAD_CONTROLLER, "LOADCONTROLLER"),
)
ACB_EUI = _eui("90B3D51F30000002")


class PkiError(ValueError):
    """The directory cannot hold or does not hold a PKI."""


def _key_id(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """An 8-byte key identifier (leftmost 64 bits of SHA-256 of the public point)."""
    point = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return hashlib.sha256(point).digest()[:8]


def _printable(oid: ObjectIdentifier, value: str) -> x509.NameAttribute:
    return x509.NameAttribute(oid, value, _type=_ASN1Type.PrintableString)


def _org_subject(eui: bytes, role: int, name: str | None) -> x509.Name:
    attrs = []
    if name:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, name))
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{role:02X}"))
    attrs.append(x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00" + eui, _type=_ASN1Type.BitString))
    return x509.Name(attrs)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _usage_extension(usage: str) -> x509.KeyUsage:
    ds = usage.endswith("ds")
    return x509.KeyUsage(
        digital_signature=ds, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=not ds, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
    )


@dataclass
class _Ca:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def key_id(self) -> bytes:
        return self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


class Pki:
    """A PKI directory: the three CAs, and methods that issue party and device certificates into it."""

    def __init__(self, directory: Path, root: _Ca, organisation_ca: _Ca, device_ca: _Ca) -> None:
        self.directory = directory
        self.root = root
        self.organisation_ca = organisation_ca
        self.device_ca = device_ca

    @classmethod
    def open(cls, directory: str | Path) -> Pki:
        """Open a directory made by :func:`init_pki`."""
        root = Path(directory)

        def load(stem: str) -> _Ca:
            try:
                cert = x509.load_pem_x509_certificate((root / CA_DIR / f"{stem}.pem").read_bytes())
                key = serialization.load_pem_private_key((root / CA_DIR / f"{stem}.key").read_bytes(), None)
            except (OSError, ValueError) as exc:
                raise PkiError(f"{root}: no usable {CA_DIR}/{stem} CA ({exc})") from None
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise PkiError(f"{root}: {CA_DIR}/{stem}.key is not an EC key")
            return _Ca(cert, key)

        return cls(root, load("root"), load("z1"), load("e357"))

    # ------------------------------------------------------------ certificates

    def _builder(self, subject: x509.Name, issuer: _Ca, public_key: ec.EllipticCurvePublicKey,
                 not_before: dt.datetime, not_after: dt.datetime) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier(_key_id(public_key)), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier(issuer.key_id, None, None), critical=False)
        )

    def issue_party(self, party: Party, *, validity_days: int = 3650, now: dt.datetime | None = None) -> list[Path]:
        """Generate the party's key pairs and certificates (one per usage); returns the files written."""
        now = now or dt.datetime.now(dt.UTC)
        written = []
        for usage in party.usages:
            role = ROLE_XML_SIGN if usage.startswith("xml") else party.role
            key = ec.generate_private_key(_CURVE)
            cert = (
                self._builder(_org_subject(party.eui, role, party.name), self.organisation_ca, key.public_key(),
                              now - dt.timedelta(days=1), now + dt.timedelta(days=validity_days))
                .add_extension(_usage_extension(usage), critical=True)
                .add_extension(
                    x509.CertificatePolicies([x509.PolicyInformation(ObjectIdentifier(ORGANISATION_POLICY), None)]),
                    critical=True,
                )
                .sign(self.organisation_ca.key, hashes.SHA256())
            )
            stem = self.directory / f"{party.eui.hex()}-{usage}"
            _write_cert(stem.with_suffix(".pem"), cert)
            _write_key(stem.with_suffix(".key"), key)
            written += [stem.with_suffix(".pem"), stem.with_suffix(".key")]
        return written

    def issue_device(self, eui: bytes, *, private_keys: bool = True, now: dt.datetime | None = None) -> list[Path]:
        """Generate a device's DS and KA key pairs and certificates; returns the files written."""
        if len(eui) != 8:
            raise ValueError("a device EUI-64 is 8 bytes")
        now = now or dt.datetime.now(dt.UTC)
        san = x509.SubjectAlternativeName(
            [x509.OtherName(ObjectIdentifier(HARDWARE_MODULE_NAME), hardware_module_name(eui))]
        )
        written = []
        for usage in ("ds", "ka"):
            key = ec.generate_private_key(_CURVE)
            cert = (
                self._builder(x509.Name([]), self.device_ca, key.public_key(), now - dt.timedelta(days=1),
                              DEVICE_NOT_AFTER)
                .add_extension(_usage_extension(usage), critical=True)
                .add_extension(san, critical=True)
                .add_extension(
                    x509.CertificatePolicies([x509.PolicyInformation(ObjectIdentifier(DEVICE_POLICY), None)]),
                    critical=True,
                )
                .sign(self.device_ca.key, hashes.SHA256())
            )
            stem = self.directory / f"{eui.hex()}-{usage}"
            _write_cert(stem.with_suffix(".pem"), cert)
            written.append(stem.with_suffix(".pem"))
            if private_keys:
                _write_key(stem.with_suffix(".key"), key)
                written.append(stem.with_suffix(".key"))
        return written


def _make_ca(subject: x509.Name, issuer: _Ca | None, path_length: int | None, now: dt.datetime,
             days: int) -> _Ca:
    key = ec.generate_private_key(_CURVE)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier(_key_id(key.public_key())), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier(issuer.key_id, None, None), critical=False)
    return _Ca(builder.sign(signer_key, hashes.SHA256()), key)


def init_pki(
    directory: str | Path,
    *,
    parties: Iterable[Party] = DEFAULT_PARTIES,
    devices: Iterable[bytes] = (),
    overwrite: bool = False,
    validity_days: int = 3650,
) -> Pki:
    """Create a test PKI in ``directory``: CAs, the remote parties' keys and the given devices' keys.

    Refuses a directory that already has a CA unless ``overwrite``.  Returns the
    :class:`Pki`, whose :meth:`Pki.issue_device` adds devices later.
    """
    root_dir = Path(directory)
    if (root_dir / CA_DIR / "root.pem").exists() and not overwrite:
        raise PkiError(f"{root_dir} already holds a PKI (use overwrite)")
    (root_dir / CA_DIR).mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    root = _make_ca(
        x509.Name([_printable(NameOID.ORGANIZATIONAL_UNIT_NAME, "00"), _printable(NameOID.COMMON_NAME, "Z0")]),
        None, 1, now, validity_days * 3,
    )
    z1 = _make_ca(
        x509.Name([_printable(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{ROLE_ISSUING_AUTHORITY:02X}"),
                   _printable(NameOID.COMMON_NAME, "Z1")]),
        root, 0, now, validity_days * 2,
    )
    e357 = _make_ca(x509.Name([_printable(NameOID.COMMON_NAME, "E357")]), root, 0, now, validity_days * 2)
    for stem, ca in (("root", root), ("z1", z1), ("e357", e357)):
        _write_cert(root_dir / CA_DIR / f"{stem}.pem", ca.certificate)
        _write_key(root_dir / CA_DIR / f"{stem}.key", ca.key)
    pki = Pki(root_dir, root, z1, e357)
    for party in parties:
        pki.issue_party(party, validity_days=validity_days, now=now)
    for eui in devices:
        pki.issue_device(bytes(eui), now=now)
    return pki


def issue_device(directory: str | Path, eui: bytes, *, private_keys: bool = True) -> list[Path]:
    """Add a device to an existing PKI directory."""
    return Pki.open(directory).issue_device(eui, private_keys=private_keys)
