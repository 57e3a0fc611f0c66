"""A device's own key material: separate DS and KA P-256 key pairs and their certificates (requirements §9.4)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

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
