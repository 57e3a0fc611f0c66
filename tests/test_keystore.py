"""smetsim.keys: loading the RTDS key store (with its quirks) and the ``keys init`` PKI profiles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID

from smetsim.keys import Keystore, KeystoreError, load_keystore
from smetsim.keys.der import DEVICE_HW_TYPE, parse_hardware_module_name
from smetsim.keys.pki import DEFAULT_PARTIES, DEVICE_POLICY, ORGANISATION_POLICY, PkiError, init_pki, issue_device

E = bytes.fromhex
SUPPLIER = E("90B3D51F30010000")
ESME = E("00DB1234567890A0")


@pytest.fixture(scope="module")
def rtds_store(corpus: Path) -> Keystore:
    directory = corpus / "rtds-keystore"
    if not directory.is_dir():
        pytest.skip("RTDS key store not in the corpus")
    return Keystore.load(directory)


def test_rtds_roles_and_identities(rtds_store: Keystore) -> None:
    roles = {"90B3D51F30010000": 2, "90B3D51F30030000": 2, "90B3D51F30020000": 3, "90B3D51F30000002": 4,
             "90B3D51F30000004": 5, "90B3D51F30000007": 6, "90B3D51F30000001": 1, "90B3D51F30010008": 8}
    for eui, role in roles.items():
        assert rtds_store.role(E(eui)) == role, eui
        assert not rtds_store.is_device(E(eui))
    supplier_ds = rtds_store.entry(SUPPLIER, "ds")
    assert supplier_ds is not None and supplier_ds.certificate_eui == SUPPLIER and supplier_ds.private_key is not None
    device_ka = rtds_store.entry(ESME, "ka")
    assert device_ka is not None and device_ka.device and device_ka.certificate_eui == ESME
    assert device_ka.private_key is None and device_ka.role is None
    assert rtds_store.is_device(ESME) and rtds_store.role(ESME) is None


def test_rtds_quirks(rtds_store: Keystore) -> None:
    # supplier 2's KA certificate filed as the WAN provider's: kept under its file name, flagged
    assert any("90b3d51f30000007-ka" in w and "90B3D51F30030000" in w for w in rtds_store.warnings)
    wan_ka = rtds_store.entry(E("90B3D51F30000007"), "ka")
    assert wan_ka is not None and wan_ka.certificate_eui == E("90B3D51F30030000")
    assert not any("does not match" in w for w in rtds_store.warnings)
    # a bare SPKI public key file and private-key-only files are accepted
    bare = rtds_store.entry(E("FFFFFFFFFFFFFFFE"), "ka")
    assert bare is not None and bare.certificate is None and bare.public_key is not None
    only_private = rtds_store.entry(E("123456789ABCDEF0"), "ka")
    assert only_private is not None and only_private.private_key is not None and only_private.public_key is not None
    # the prepayment key is a different key from the supplier's normal KA key
    pp, ka = rtds_store.public_key(SUPPLIER, "pp-ka"), rtds_store.public_key(SUPPLIER, "ka")
    assert pp is not None and ka is not None and pp != ka
    # expired organisation certificates are used anyway
    cert = rtds_store.certificate(SUPPLIER, "ds")
    assert cert is not None and cert.not_valid_after_utc < dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_rtds_validity_when_asked(corpus: Path) -> None:
    directory = corpus / "rtds-keystore"
    if not directory.is_dir():
        pytest.skip("RTDS key store not in the corpus")
    later = Keystore.load(directory, check_validity=True, at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert later.public_key(SUPPLIER, "ds") is None and later.public_key(ESME, "ds") is not None
    assert any("not valid" in w for w in later.warnings)
    earlier = Keystore.load(directory, check_validity=True, at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert earlier.public_key(SUPPLIER, "ds") is not None


def test_view_lookups(rtds_store: Keystore) -> None:
    view = rtds_store.view()
    assert view is rtds_store.view()
    assert view.ds_public(SUPPLIER) is rtds_store.public_key(SUPPLIER, "ds")
    assert view.ka_private(ESME) is None and view.ka_public(ESME) is not None
    assert view.pp_ka_private(SUPPLIER) is not None and view.is_device(ESME)
    assert view.ds_public(E("0000000000000000")) is None


def test_file_formats_and_bad_files(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "0102030405060708-ka.key").write_bytes(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "0102030405060709-ds.pem").write_bytes(
        key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    (tmp_path / "README.txt").write_text("not a key")
    (tmp_path / "sub").mkdir()
    store = Keystore.load(tmp_path)
    assert store.private_key(E("0102030405060708"), "ka") is not None
    assert store.public_key(E("0102030405060709"), "ds") is not None
    assert any("README.txt" in w for w in store.warnings)
    (tmp_path / "0102030405060700-ds.pem").write_text("garbage")
    with pytest.raises(KeystoreError):
        Keystore.load(tmp_path)
    with pytest.raises(KeystoreError):
        Keystore.load(tmp_path / "missing")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    init_pki(directory, devices=[ESME])
    return directory


def _ca(pki: Path, stem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((pki / "ca" / f"{stem}.pem").read_bytes())


def _usage(cert: x509.Certificate) -> tuple[bool, bool]:
    ext = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ext.critical
    return ext.value.digital_signature, ext.value.key_agreement


def test_pki_organisation_profile(pki: Path) -> None:
    store = load_keystore(pki)
    assert store.warnings == []
    z1 = _ca(pki, "z1")
    assert z1.subject.rfc4514_string() == "CN=Z1,OU=07"
    _ca(pki, "z1").verify_directly_issued_by(_ca(pki, "root"))
    for party in DEFAULT_PARTIES:
        assert store.role(party.eui) == party.role
        for usage in party.usages:
            entry = store.entry(party.eui, usage)
            assert entry is not None and entry.certificate is not None and entry.private_key is not None
            cert = entry.certificate
            cert.verify_directly_issued_by(z1)
            assert entry.certificate_eui == party.eui
            ou = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value
            assert ou == ("87" if usage == "xml-ds" else f"{party.role:02X}")
            assert cert.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)[0].value == b"\x00" + party.eui
            assert _usage(cert) == ((True, False) if usage.endswith("ds") else (False, True))
            ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
            z1_ski = z1.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            assert len(ski) == 8 and aki == z1_ski
            policies = cert.extensions.get_extension_for_oid(ExtensionOID.CERTIFICATE_POLICIES)
            assert policies.critical
            assert [p.policy_identifier.dotted_string for p in policies.value] == [ORGANISATION_POLICY]
    assert store.entry(SUPPLIER, "pp-ka") is not None and store.entry(SUPPLIER, "xml-ds") is not None
    assert store.entry(E("90B3D51F30010008"), "ds") is not None  # load controller, role 8


def test_pki_device_profile_and_issue_later(pki: Path) -> None:
    e357 = _ca(pki, "e357")
    new_device = E("00DB1234567890B7")
    written = issue_device(pki, new_device)
    assert {p.name for p in written} == {f"{new_device.hex()}-{u}.{x}" for u in ("ds", "ka") for x in ("pem", "key")}
    store = Keystore.load(pki)
    for eui in (ESME, new_device):
        assert store.is_device(eui)
        for usage in ("ds", "ka"):
            entry = store.entry(eui, usage)
            assert entry is not None and entry.certificate is not None and entry.private_key is not None
            cert = entry.certificate
            cert.verify_directly_issued_by(e357)
            assert len(cert.subject) == 0 and cert.issuer.rfc4514_string() == "CN=E357"
            assert cert.not_valid_after_utc == dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            assert san.critical and len(san.value) == 1
            hw_type, serial = parse_hardware_module_name(next(iter(san.value)).value)
            assert (hw_type, serial) == (DEVICE_HW_TYPE, eui)
            assert _usage(cert) == ((True, False) if usage == "ds" else (False, True))
            policies = cert.extensions.get_extension_for_oid(ExtensionOID.CERTIFICATE_POLICIES).value
            assert [p.policy_identifier.dotted_string for p in policies] == [DEVICE_POLICY]
    with pytest.raises(PkiError):
        init_pki(pki)
