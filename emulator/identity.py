"""A device's own key material: separate DS and KA P-256 key pairs and their certificates (requirements §9.4).

Credential changes never alter a :class:`DeviceKeys` in place (replayed devices of one EUI
share it): :meth:`DeviceKeys.with_certificate` gives a new object for the device to use.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ObjectIdentifier

from smetsim.keys.der import HARDWARE_MODULE_NAME, hardware_module_name
from smetsim.keys.keystore import certificate_identity
from smetsim.keys.pki import Pki

_CURVE = ec.SECP256R1()


@dataclass(slots=True)
class DeviceKeys:
    """The device's DS (signing) and KA (key agreement) private keys, and certificates when issued."""

    ds: ec.EllipticCurvePrivateKey
    ka: ec.EllipticCurvePrivateKey
    ds_certificate: bytes | None = None  # DER
    ka_certificate: bytes | None = None

    @classmethod
    def generate(cls) -> DeviceKeys:
        """Fresh key pairs without certificates (tests, benches, devices that never show a certificate)."""
        return cls(ec.generate_private_key(_CURVE), ec.generate_private_key(_CURVE))

    @classmethod
    def issue(cls, pki: Pki, eui: bytes) -> DeviceKeys:
        """Key pairs and certificates issued by ``pki`` (written to its directory as ``<eui>-ds|ka.pem|key``)."""
        pki.issue_device(eui, private_keys=True)
        return cls.load(pki.directory, eui)

    @classmethod
    def load(cls, directory: str | Path, eui: bytes) -> DeviceKeys:
        """Read ``<eui>-ds.key/.pem`` and ``<eui>-ka.key/.pem`` from a key-store directory."""
        root = Path(directory)
        keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        certs: dict[str, bytes | None] = {}
        for usage in ("ds", "ka"):
            stem = root / f"{eui.hex()}-{usage}"
            key = serialization.load_pem_private_key(stem.with_suffix(".key").read_bytes(), None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{stem}.key is not an EC private key")
            keys[usage] = key
            pem = stem.with_suffix(".pem")
            certs[usage] = (
                x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(serialization.Encoding.DER)
                if pem.exists() else None
            )
        return cls(keys["ds"], keys["ka"], certs["ds"], certs["ka"])

    def certificate_pem(self, usage: str) -> bytes | None:
        """The PEM text of the DS or KA certificate, when one was issued."""
        der = self.ds_certificate if usage == "ds" else self.ka_certificate
        if der is None:
            return None
        return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)

    def key(self, usage: str) -> ec.EllipticCurvePrivateKey:
        return self.ds if usage == "ds" else self.ka

    def certificate(self, usage: str) -> bytes | None:
        """The DER certificate of the DS or KA key, when one was issued."""
        return self.ds_certificate if usage == "ds" else self.ka_certificate

    def with_certificate(self, usage: str, der: bytes, key: ec.EllipticCurvePrivateKey | None = None) -> DeviceKeys:
        """A copy holding a new certificate (and the private key it certifies) for ``usage``."""
        if usage == "ds":
            return replace(self, ds=key or self.ds, ds_certificate=der)
        return replace(self, ka=key or self.ka, ka_certificate=der)


def generate_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 private key."""
    return ec.generate_private_key(_CURVE)


def _key_usage(usage: str) -> x509.KeyUsage:
    ds = usage == "ds"
    return x509.KeyUsage(digital_signature=ds, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=not ds, key_cert_sign=False, crl_sign=False,
                         encipher_only=False, decipher_only=False)


def certification_request(key: ec.EllipticCurvePrivateKey, eui: bytes, usage: str) -> bytes:
    """A PKCS#10 request (DER) for a device key: empty subject, critical key usage and SAN hwSerialNum = EUI."""
    san = x509.SubjectAlternativeName(
        [x509.OtherName(ObjectIdentifier(HARDWARE_MODULE_NAME), hardware_module_name(eui))])
    request = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
               .add_extension(_key_usage(usage), critical=True).add_extension(san, critical=True)
               .sign(key, hashes.SHA256()))
    return request.public_bytes(serialization.Encoding.DER)


def certificate_usage(der: bytes, eui: bytes) -> tuple[str, ec.EllipticCurvePublicKey] | None:
    """('ds' or 'ka', key) of a device certificate issued to ``eui`` with one key usage, else None."""
    try:
        cert = x509.load_der_x509_certificate(der)
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except (ValueError, x509.ExtensionNotFound):
        return None
    key = cert.public_key()
    subject, _, is_device = certificate_identity(cert)
    if not isinstance(key, ec.EllipticCurvePublicKey) or not is_device or subject != eui:
        return None
    if usage.digital_signature == usage.key_agreement:
        return None
    return ("ds" if usage.digital_signature else "ka"), key


def same_key(a: ec.EllipticCurvePublicKey, b: ec.EllipticCurvePublicKey) -> bool:
    return a.public_numbers() == b.public_numbers()
