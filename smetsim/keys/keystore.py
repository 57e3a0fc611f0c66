"""Load a key store directory: ``<eui>[-pp|-xml]-<ds|ka>.<pem|key>`` certificates and keys (spec §2.1, §4).

* ``.pem`` (or ``.crt``/``.der``) is an X.509 certificate, PEM or DER, or a bare SPKI public key;
  ``.key`` is a PKCS#8 private key, PEM or DER.
* The role comes from the certificate subject OU (two hex digits), the EUI from the subject
  x500UniqueIdentifier (``00‖EUI``) or, for devices, the subjectAltName otherName
  hardwareModuleName.
* Quirks kept on purpose: validity is not enforced unless asked; a certificate whose EUI
  disagrees with its file name is kept under the file name and listed in ``warnings``.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gbcs.crypto.view import KeystoreView

from .der import HARDWARE_MODULE_NAME, parse_hardware_module_name

FILE_NAME = re.compile(r"^(?P<eui>[0-9A-Fa-f]{16})(?:-(?P<qual>pp|xml))?-(?P<kind>ds|ka)\.(?P<ext>pem|key|crt|der)$")
USAGES = ("ds", "ka", "pp-ka", "xml-ds", "xml-ka")
X500_UNIQUE_IDENTIFIER = NameOID.X500_UNIQUE_IDENTIFIER


class KeystoreError(ValueError):
    """A key store file that cannot be read at all."""


@dataclass
class KeyEntry:
    """One party's key for one usage: certificate and/or public key, and the private key if present."""

    eui: bytes
    usage: str
    certificate: x509.Certificate | None = None
    public_key: ec.EllipticCurvePublicKey | None = None
    private_key: ec.EllipticCurvePrivateKey | None = None
    certificate_eui: bytes | None = None
    role: int | None = None
    device: bool = False
    rejected: bool = False  # its certificate was left out (validity check)
    paths: list[Path] = field(default_factory=list)


def certificate_identity(cert: x509.Certificate) -> tuple[bytes | None, int | None, bool]:
    """(EUI, remote-party role, is a device certificate) as the certificate states them."""
    eui: bytes | None = None
    role: int | None = None
    for attr in cert.subject:
        if attr.oid == X500_UNIQUE_IDENTIFIER:
            value = attr.value if isinstance(attr.value, bytes) else str(attr.value).encode()
            if len(value) == 9 and value[0] == 0:
                eui = value[1:]
            elif len(value) == 8:
                eui = value
        elif attr.oid == NameOID.ORGANIZATIONAL_UNIT_NAME:
            try:
                role = int(str(attr.value), 16)
            except ValueError:
                role = None
    device = False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        for name in san:
            if isinstance(name, x509.OtherName) and name.type_id.dotted_string == HARDWARE_MODULE_NAME:
                try:
                    _, serial = parse_hardware_module_name(name.value)
                except ValueError:
                    continue
                device = True
                if eui is None and len(serial) == 8:
                    eui = serial
    if not len(cert.subject) and san is not None:
        device = True
    return eui, role, device


def _load_public(data: bytes, path: Path) -> tuple[x509.Certificate | None, ec.EllipticCurvePublicKey]:
    pem = data.lstrip().startswith(b"-----BEGIN")
    cert: x509.Certificate | None = None
    try:
        if pem and b"CERTIFICATE" in data.split(b"\n", 1)[0]:
            cert = x509.load_pem_x509_certificate(data)
            key = cert.public_key()
        elif pem:
            key = serialization.load_pem_public_key(data)
        else:
            try:
                cert = x509.load_der_x509_certificate(data)
                key = cert.public_key()
            except ValueError:
                key = serialization.load_der_public_key(data)
    except ValueError as exc:
        raise KeystoreError(f"{path.name}: not a certificate or public key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeystoreError(f"{path.name}: not an EC public key")
    return cert, key


def _load_private(data: bytes, path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(data, None)
        else:
            key = serialization.load_der_private_key(data, None)
    except (ValueError, TypeError) as exc:
        raise KeystoreError(f"{path.name}: not an unencrypted private key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeystoreError(f"{path.name}: not an EC private key")
    return key


def _public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


class Keystore:
    """The keys of one directory, indexed by (EUI, usage); read-only once loaded, so thread-safe."""

    def __init__(self) -> None:
        self.entries: dict[tuple[bytes, str], KeyEntry] = {}
        self.warnings: list[str] = []
        self._view: KeystoreView | None = None

    @classmethod
    def load(cls, directory: str | Path, *, check_validity: bool = False, at: dt.datetime | None = None) -> Keystore:
        """Read every matching file of ``directory`` (not its subdirectories).

        With ``check_validity``, certificates outside their validity period at ``at``
        (default now) are left out, with a warning.
        """
        store = cls()
        root = Path(directory)
        if not root.is_dir():
            raise KeystoreError(f"{root}: not a directory")
        now = at or dt.datetime.now(dt.UTC)
        for path in sorted(root.iterdir()):
            if not path.is_file():
                continue
            match = FILE_NAME.match(path.name)
            if match is None:
                if not path.name.startswith("."):
                    store.warnings.append(f"{path.name}: name is not <eui>[-pp]-<ds|ka>.<pem|key>, ignored")
                continue
            eui = bytes.fromhex(match["eui"])
            usage = f"{match['qual']}-{match['kind']}" if match["qual"] else match["kind"]
            entry = store.entries.setdefault((eui, usage), KeyEntry(eui, usage))
            entry.paths.append(path)
            data = path.read_bytes()
            if match["ext"] == "key":
                entry.private_key = _load_private(data, path)
                continue
            cert, public = _load_public(data, path)
            if cert is not None and check_validity and not (
                cert.not_valid_before_utc <= now <= cert.not_valid_after_utc
            ):
                store.warnings.append(f"{path.name}: certificate not valid at {now:%Y-%m-%d}, left out")
                entry.rejected = True
                continue
            entry.certificate = cert
            entry.public_key = public
            if cert is not None:
                cert_eui, role, device = certificate_identity(cert)
                entry.certificate_eui, entry.role, entry.device = cert_eui, role, device
                if cert_eui is not None and cert_eui != eui:
                    store.warnings.append(
                        f"{path.name}: certificate names EUI {cert_eui.hex().upper()}, not {eui.hex().upper()}"
                    )
        for entry in store.entries.values():
            if entry.private_key is None:
                continue
            derived = entry.private_key.public_key()
            if entry.public_key is None:
                if not entry.rejected:
                    entry.public_key = derived
            elif _public_bytes(derived) != _public_bytes(entry.public_key):
                store.warnings.append(
                    f"{entry.eui.hex()}-{entry.usage}: private key does not match the certificate's public key"
                )
        return store

    # ------------------------------------------------------------ lookups

    def entry(self, eui: bytes, usage: str) -> KeyEntry | None:
        """The entry for ``eui`` and ``usage`` ("ds", "ka", "pp-ka", "xml-ds")."""
        return self.entries.get((bytes(eui), usage))

    def public_key(self, eui: bytes, usage: str) -> ec.EllipticCurvePublicKey | None:
        entry = self.entries.get((bytes(eui), usage))
        return entry.public_key if entry else None

    def private_key(self, eui: bytes, usage: str) -> ec.EllipticCurvePrivateKey | None:
        entry = self.entries.get((bytes(eui), usage))
        return entry.private_key if entry else None

    def certificate(self, eui: bytes, usage: str) -> x509.Certificate | None:
        entry = self.entries.get((bytes(eui), usage))
        return entry.certificate if entry else None

    def euis(self) -> list[bytes]:
        """Every EUI that has at least one file."""
        return sorted({eui for eui, _ in self.entries})

    def role(self, eui: bytes) -> int | None:
        """The remote-party role from the EUI's certificates (None for devices and bare keys)."""
        for usage in USAGES:
            entry = self.entries.get((bytes(eui), usage))
            if entry is not None and entry.role is not None:
                return entry.role
        return None

    def is_device(self, eui: bytes) -> bool:
        """True when one of the EUI's certificates is a device certificate."""
        return any(
            entry.device for usage in USAGES if (entry := self.entries.get((bytes(eui), usage))) is not None
        )

    def view(self) -> KeystoreView:
        """The lookups :mod:`gbcs.crypto` needs (built once; plain dict lookups)."""
        if self._view is None:
            tables: dict[str, tuple[dict[bytes, ec.EllipticCurvePublicKey], dict[bytes, ec.EllipticCurvePrivateKey]]]
            tables = {usage: ({}, {}) for usage in ("ds", "ka", "pp-ka")}
            devices = set()
            for (eui, usage), entry in self.entries.items():
                if entry.device:
                    devices.add(eui)
                if usage not in tables:
                    continue
                pub, priv = tables[usage]
                if entry.public_key is not None:
                    pub[eui] = entry.public_key
                if entry.private_key is not None:
                    priv[eui] = entry.private_key
            self._view = KeystoreView(
                ds_public=tables["ds"][0].get,
                ds_private=tables["ds"][1].get,
                ka_public=tables["ka"][0].get,
                ka_private=tables["ka"][1].get,
                pp_ka_public=tables["pp-ka"][0].get,
                pp_ka_private=tables["pp-ka"][1].get,
                is_device=frozenset(devices).__contains__,
            )
        return self._view


_loaded: dict[str, Keystore] = {}
_lock = threading.Lock()


def load_keystore(directory: str | Path) -> Keystore:
    """The key store of ``directory``, loaded once per process."""
    name = str(Path(directory).resolve())
    store = _loaded.get(name)
    if store is None:
        with _lock:
            store = _loaded.get(name)
            if store is None:
                store = Keystore.load(name)
                _loaded[name] = store
    return store


def load_view(directory: str | Path) -> KeystoreView:
    """The :class:`KeystoreView` of ``directory`` (picklable as ``functools.partial(load_view, dir)``)."""
    return load_keystore(directory).view()
