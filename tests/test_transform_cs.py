"""DUIS -> GBCS transforms of the CS, CCS and DBCH use cases (credentials, joins, top-up, CHF device log, Sub-GHz).

For every DUIS 5.4 template of the family (and a few derived cases: CS01b, CS10a/b, CCS02, CCS04
from templates of the same SRV body): the payload decodes and, framed as the DCC frames it, has
the structure of the RTDS 4.5.0 SUCCESS command of the same use case and variant; an emulated
device of the target kind accepts it; bad bodies raise TransformError naming the element.  The
corpus is read in place, never copied.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import corpus_root
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ObjectIdentifier
from lxml import etree

from emulator.clock import VirtualClock
from emulator.conformance import compare_structure
from emulator.device import Device
from emulator.identity import DeviceKeys
from emulator.kinds import create_device
from emulator.testkit import RemoteParties
from gbcs.asn1 import decode_asn1
from gbcs.codes import message_codes
from gbcs.dlms import decode_dlms
from gbcs.framing import parse_frame
from gbcs.message import decode_message
from proving.transform import TransformContext, Transformed, TransformError, transform
from proving.transform.cs_helpers import DeviceLogBackup
from proving.transform.registry import DUIS_NS
from smetsim.keys.der import HARDWARE_MODULE_NAME, hardware_module_name
from smetsim.keys.pki import Party, Pki, init_pki

FAMILY = re.compile(r"^(CS|CCS|DBCH)\d")
START = "2025-06-01T00:00:00Z"
ACB_COUNTER = 5000  # the ACB's own originator counter for the commands it sends on a User's behalf
CODES = {mc.use_case: code for code, mc in message_codes().items()}
KINDS = {0xA0: "ESME", 0xA1: "GSME", 0xA2: "CHF", 0xA3: "GPF", 0xA4: "PPMID", 0xA5: "HCALCS"}
GSME = bytes.fromhex("00DB1234567890A1")
NEW_SUPPLIER = bytes.fromhex("90B3D51F3F01BBBB")
# the DCC inventory the transforms read from the context (device types of the other devices)
INVENTORY = {"00DB12345678909A": "HCALCS", "00DB123456789093": "ESME", "00DB12345678909C": "IHD",
             "00DB123456789098": "PPMID", "00DB123456789094": "GSME", "00DB1234567890A0": "ESME"}

# template use-case field -> (GBCS use case, remote-party role, signed): supplier Users sign as role 2,
# the network operator as 3; the ACB (4) sends CHF, non-critical join/unjoin and credential-read
# commands and the handover; the Transitional CoS party (5) the change of supplier.
FRAMING: dict[str, tuple[str, int, bool]] = {
    "CS01a": ("CS01a", 2, False), "CS02aMAC": ("CS02a", 4, False), "CS02fMAC": ("CS02f", 4, False),
    "CS02bACBByACB": ("CS02b", 4, False), "CS02bNOByNO": ("CS02b", 3, True),
    "CS02bSupplierBySupplierHandover": ("CS02b", 4, True), "CS02bSupplierBySupplier": ("CS02b", 2, True),
    "CS02bSupplierByTransCoS": ("CS02b", 5, True), "CS02gLoadControllerBySupplier": ("CS02g", 2, True),
    "CS02c": ("CS02c", 2, True), "CS02d": ("CS02d", 2, True), "CS02e": ("CS02e", 2, True),
    "CS03A1": ("CS03A1", 2, True), "CS03A2Critical": ("CS03A2", 2, True), "CS03A2NonCritical": ("CS03A2", 4, True),
    "CS03B": ("CS03B", 4, False), "CS03CCritical": ("CS03C", 2, True), "CS03CNonCritical": ("CS03C", 4, True),
    "CS04ACCritical": ("CS04AC", 2, True), "CS04ACNonCritical": ("CS04AC", 4, True),
    "CS06": ("CS06", 2, True), "CS07": ("CS07", 2, False), "CS08": ("CS08", 4, False), "CS11": ("CS11", 2, False),
    **{name: (name, 4, False) for name in ("CCS01", "CCS03", "CCS06", "CCS07", "DBCH01", "DBCH02", "DBCH03",
                                           "DBCH04", "DBCH05")},
}


@dataclass(frozen=True)
class Case:
    """A template transformed for a use case (derived cases re-target a template of the same body)."""

    template: str
    name: str  # the RTDS folder's use-case field
    use_case: str
    role: int
    signed: bool
    target: bytes | None = None
    edit: dict[str, str | None] = field(default_factory=dict)  # element -> new text (None: remove)

    @property
    def id(self) -> str:
        return self.template if self.name == self.template.split("_")[0] else f"{self.name}<-{self.template}"


def _template_cases() -> list[Case]:
    root = corpus_root()
    names = sorted(p.name for p in (root / "duis" / "templates").glob("*.XML") if FAMILY.match(p.name)) if root else []
    return [Case(n, n.split("_")[0], *FRAMING[n.split("_")[0]]) for n in names]


DERIVED = [
    Case("CS01a_2.2_SUCCESS_REQUEST_DUIS.XML", "CS01b", "CS01b", 2, False, target=GSME),
    Case("ECS35a_6.13_SUCCESS_REQUEST_DUIS.XML", "CS10a", "CS10a", 2, False, target=GSME),
    Case("ECS35b_6.13_SUCCESS_REQUEST_DUIS.XML", "CS10b", "CS10b", 2, False, target=GSME),
    Case("CCS06_8.9_SUCCESS_REQUEST_DUIS.XML", "CCS05CCS04", "CCS04", 4, False),
    Case("CCS01_8.11_SUCCESS_REQUEST_DUIS.XML", "CCS02", "CCS02", 4, False,
         edit={"RequestType": "Remove", "AddDeviceToCHFWhitelist": None}),
]
CASES = _template_cases() + DERIVED

# RTDS 4.5.0 commands vs DUIS 5.4 templates: the structural differences that are genuine.
KNOWN_DIFFERENCES: dict[str, list[str]] = {
    # SupplierFloorSeqNumber is mandatory in the DUIS 5.4 UpdateSecurityCredentialsCoS, so the transform sends the
    # supplier's new floor sequence numbers; the RTDS cancellation command carries none (its future-dated and
    # immediate twins do).
    "CS02bSupplierByTransCoS_6.23_CANCELLATION_SUCCESS_REQUEST_DUIS.XML": [
        "/payload/value/authorisingRemotePartyControl/newRemotePartiesFloorSeqNumbers: only emulated"],
}
# Cases whose template values are not the RTDS command's (so only the structure can agree), and why.
OTHER_VALUES: dict[str, str] = {
    **{name: "the DUIS 5.4 template carries re-issued certificates, not the RTDS ones" for name in (
        "CS02bACBByACB", "CS02bNOByNO", "CS02bSupplierBySupplierHandover", "CS02bSupplierBySupplier",
        "CS02bSupplierByTransCoS", "CS02gLoadControllerBySupplier")},
    "CS03CCritical": "the other device's certificate comes from the test PKI (the DCC reads it from SMKI)",
    "CS03CNonCritical": "the other device's certificate comes from the test PKI (the DCC reads it from SMKI)",
    "CCS03": "the DCC's copy of the old CHF's device log is test data",
    "CS01b": "the CS01a template's UTRN is not the one of the RTDS CS01b command",
    "CS10a": "the ECS35a template's log period is not the one of the RTDS CS10a command",
    "CS08": "the template's RequestID names the ACB as the User; the RTDS command has the supplier as SRP",
}
# Templates whose RTDS SUCCESS command is not in the shipped corpus (only ERROR variants are, or none):
# no structural reference; the emulated device still has to accept them.
NO_REFERENCE = {"CS02e", "CS03B", "CS11", "CCS06", "CCS05CCS04", "CCS02"}
# Unjoin templates: the join (CS03 use case, other device's type) that has to happen first.
JOINED_FIRST = {"CS04ACCritical": ("CS03A1", "HCALCS"), "CS04ACNonCritical": ("CS03A2", "ESME")}
# Cases an emulated device legitimately refuses although the payload is right: the failures it reports, and why.
REFUSED: dict[str, tuple[list[str], str]] = {
    "CS02d_6.15.2_SUCCESS_REQUEST_DUIS.XML": (
        ["/value=2"], "the template's certificate is for the RTDS device's key, not the emulated device's (2: key "
                      "neither pending nor current); test_device_credentials_round_trip installs one for its key"),
    "CS02bACBByACB_8.5_SUCCESS_REQUEST_DUIS.XML": (
        ["/value/executionOutcome/replacementOutcomes/0/status=10"],
        "the template's KeyAgreementCertificate has keyUsage digitalSignature, so the ACB's key-agreement cell "
        "stays unchanged (status 10); test_credential_update_with_test_pki_certificates installs valid ones"),
    "CS10a<-ECS35a_6.13_SUCCESS_REQUEST_DUIS.XML": (
        ["/components/0/zcl/fields/status=139"],
        "NOT_FOUND (0x8B): a GSME created in 2025 has no events in the template's 2014-12-31 period"),
    "CS10b<-ECS35b_6.13_SUCCESS_REQUEST_DUIS.XML": (
        ["/components/0/zcl/fields/status=139"],
        "NOT_FOUND (0x8B): a GSME created in 2025 has no security events in the template's 2014-12-31 period"),
}


def _sr(name: str) -> str:
    return f"{{{DUIS_NS}}}{name}"


def _load(case: Case, corpus: Path) -> tuple[etree._Element, dict[str, str]]:
    """The request body (the element inside sr:Body, edited per the case) and the header fields."""
    root = etree.parse(str(corpus / "duis" / "templates" / case.template)).getroot()
    header = {etree.QName(e).localname: (e.text or "").strip() for e in root.find(_sr("Header"))
              if isinstance(e.tag, str)}
    body = copy.deepcopy(next(e for e in root.find(_sr("Body")) if isinstance(e.tag, str)))
    for name, value in case.edit.items():
        found = body.find(f".//{_sr(name)}")
        assert found is not None, name
        if value is None:
            found.getparent().remove(found)
        else:
            found.text = value
    return body, header


def _device_certificate(directory: Path, eui: bytes, usage: str = "ka") -> bytes:
    init_pki(directory, parties=[], devices=[eui], overwrite=True)
    pem = (directory / f"{eui.hex()}-{usage}.pem").read_bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def _context(case: Case, header: dict[str, str], body: etree._Element, tmp: Path) -> TransformContext:
    originator, target, counter = header["RequestID"].split(":")
    recipient = case.target or bytes.fromhex(target.replace("-", ""))
    extra: dict[str, Any] = {"request_counter": int(counter)}
    other = body.find(_sr("OtherDeviceID"))
    if case.use_case.startswith("CS03"):
        other_eui = other.text.replace("-", "").upper()
        extra["other_device_type"] = INVENTORY[other_eui]
        if case.use_case == "CS03C":
            extra["other_device_certificate"] = _device_certificate(tmp, bytes.fromhex(other_eui))
    device_id = body.find(_sr("DeviceID"))
    if device_id is not None:
        extra["device_type"] = INVENTORY[device_id.text.replace("-", "").upper()]
    old_chf = body.find(_sr("OldCHFID"))
    if old_chf is not None:
        extra["chf_device_logs"] = {bytes.fromhex(old_chf.text.replace("-", "")): DeviceLogBackup(
            bytes.fromhex("00DB123456789095"), ((bytes.fromhex("00DB1234567890A0"), bytes(range(16))),
                                                (bytes.fromhex("00DB1234567890A1"), bytes(range(16, 32)))))}
    return TransformContext(
        srv=header["ServiceReferenceVariant"], use_case=case.use_case, message_code=CODES.get(case.use_case, 0),
        counter=ACB_COUNTER if case.role == 4 else int(counter), originator=bytes.fromhex(originator.replace("-", "")),
        recipient=recipient, device_type=KINDS[recipient[-1]], extra=extra)


def _reference(case: Case, corpus: Path) -> Path | None:
    if case.name in NO_REFERENCE:
        return None
    parts = case.template.split("_")
    srv_id, variant = parts[1], parts[2:-3]
    stem = "_".join([case.name, srv_id, *variant, "SUCCESS", "COMMAND", "GBCS"])
    path = corpus / "rtds" / f"{srv_id}_{case.name}" / f"{stem}.HEX"
    assert path.is_file(), path
    return path


def _frame(parties: RemoteParties, device: Device, case: Case, out: Transformed, counter: int) -> bytes:
    return parties.command(device, out.message_code, out.payload, counter, signed=case.signed, role=case.role,
                           other_information=out.other_information)


def _walk(node: Any, path: str = "") -> list[str]:
    """Non-zero result / status / response codes anywhere in a decoded payload."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            code = value.get("value") if isinstance(value, dict) and set(value) <= {"value", "name"} else value
            if key in ("result", "status", "responseCode") and isinstance(code, int) and code != 0:
                out.append(f"{path}/{key}={code}")
            else:
                out += _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _walk(value, f"{path}/{i}")
    return out


def _failures(payload: dict[str, Any]) -> list[str]:
    """What a response reports as failed: DLMS results, ZCL statuses, ASN.1 response codes."""
    value = payload.get("value") if "asn1_type" in payload else None
    if isinstance(value, dict) and value.get("choice") == "responseCode":  # CHOICE {..., responseCode}
        value = value["value"]
    if isinstance(value, dict) and set(value) <= {"value", "name"}:  # a bare INTEGER response code
        return [] if value["value"] == 0 else [f"/value={value['value']}"]
    return _walk(payload)


def _transform(case: Case, corpus: Path, tmp: Path) -> tuple[Transformed, TransformContext]:
    body, header = _load(case, corpus)
    ctx = _context(case, header, body, tmp)
    return transform(body, ctx), ctx


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_payload_has_the_rtds_structure(case: Case, corpus: Path, parties: RemoteParties, tmp_path: Path) -> None:
    out, ctx = _transform(case, corpus, tmp_path)
    assert out.use_case == case.use_case
    device = create_device(ctx.device_type, ctx.recipient, VirtualClock(START), parties.anchors)
    tree = decode_message(_frame(parties, device, case, out, ctx.counter))
    assert tree["ok"], tree["error"]
    assert tree["payload_type"] == out.payload_type and tree["message_code"] == out.message_code
    reference = _reference(case, corpus)
    if reference is None:
        pytest.skip(f"no RTDS SUCCESS command of {case.name} in the shipped corpus")
    expected = decode_message(bytes.fromhex(reference.read_text().strip()))
    assert compare_structure(tree, expected) == KNOWN_DIFFERENCES.get(case.template, [])


@pytest.mark.parametrize("case", [c for c in CASES if c.name not in OTHER_VALUES], ids=lambda c: c.id)
def test_payload_equals_the_rtds_payload_where_the_template_has_its_values(case: Case, corpus: Path,
                                                                           tmp_path: Path) -> None:
    reference = _reference(case, corpus)
    if reference is None:
        pytest.skip(f"no RTDS SUCCESS command of {case.name} in the shipped corpus")
    frame = parse_frame(bytes.fromhex(reference.read_text().strip()))
    body, header = _load(case, corpus)
    ctx = dataclasses.replace(_context(case, header, body, tmp_path), counter=frame.counter)
    out = transform(body, ctx)
    assert out.payload == bytes(frame.content)
    assert (out.other_information or out.message_code.to_bytes(2, "big")) == bytes(frame.other_information)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_emulated_device_accepts_the_command(case: Case, corpus: Path, parties: RemoteParties, device_pki: Pki,
                                             tmp_path: Path) -> None:
    out, ctx = _transform(case, corpus, tmp_path)
    keys = DeviceKeys.issue(device_pki, ctx.recipient)  # device certificates, so CS02e has one to provide
    device = create_device(ctx.device_type, ctx.recipient, VirtualClock(START), parties.anchors, keys)
    if case.name in JOINED_FIRST:  # an unjoin needs the other device joined: join it with the CS03 transform
        join_use_case, other_type = JOINED_FIRST[case.name]
        other = etree.QName(DUIS_NS, "OtherDeviceID")
        join_body = _body("JoinServiceCritical", f"<sr:OtherDeviceID>{_load(case, corpus)[0].find(other).text}"
                                                 "</sr:OtherDeviceID>")
        join_ctx = _ctx(join_use_case, "8.7.1", CODES[join_use_case], counter=1, other_device_type=other_type)
        joined = _send(parties, device, transform(join_body, join_ctx), 1, role=2, signed=True)
        assert joined["value"] == 0
    result = device.handle(_frame(parties, device, case, out, ctx.counter))
    assert result.response is not None, device.security_log.entries()[-3:]
    response = decode_message(result.response)
    assert response["ok"] and response["cra"] == "response"
    expected, _ = REFUSED.get(case.id, ([], ""))
    assert _failures(response["payload"]) == expected, device.event_log.entries()[-3:]


def test_every_template_of_the_family_has_a_case() -> None:
    root = corpus_root()
    if root is None:
        pytest.skip("reference corpus not found")
    names = {p.name for p in (root / "duis" / "templates").glob("*.XML") if FAMILY.match(p.name)}
    assert names == {c.template for c in CASES if c not in DERIVED} and len(names) == 38


# ---------------------------------------------------------------------------- credentials from a test PKI

NEW_ACB = bytes.fromhex("90B3D51F3F00CCCC")
OTHER_DEVICE = bytes.fromhex("00DB12345678909F")


@pytest.fixture(scope="module")
def device_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A test PKI whose device CA issues the emulated devices' certificates."""
    return init_pki(tmp_path_factory.mktemp("device-pki"), parties=[])


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """DER certificates of a new supplier (ds, ka, pp-ka), a new ACB (ka) and a device, by '<eui>-<usage>'."""
    directory = tmp_path_factory.mktemp("pki")
    init_pki(directory, parties=[Party(NEW_SUPPLIER, 2, "NEW", ("ds", "ka", "pp-ka")), Party(NEW_ACB, 4, "NEWACB")],
             devices=[OTHER_DEVICE])
    return {pem.stem: x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(serialization.Encoding.DER)
            for pem in directory.glob("*.pem")}


def _b64(der: bytes) -> str:
    return base64.b64encode(der).decode()


def _body(name: str, inner: str) -> etree._Element:
    return etree.fromstring(f'<sr:{name} xmlns:sr="{DUIS_NS}">{inner}</sr:{name}>')


def _ctx(use_case: str, srv: str, code: int, counter: int = 100, device_type: str = "ESME",
         **extra: Any) -> TransformContext:
    return TransformContext(srv=srv, use_case=use_case, message_code=code, counter=counter,
                            originator=bytes.fromhex("90B3D51F30010000"), recipient=bytes.fromhex("00DB1234567890F7"),
                            device_type=device_type, extra=extra)


def _krp_body(pki: dict[str, bytes], when: str = "", role: str = "Supplier", top_up: bool = True) -> etree._Element:
    new = NEW_SUPPLIER.hex()
    floor = "<sr:RemotePartyPrepaymentTopUpFloorSeqNumber>20</sr:RemotePartyPrepaymentTopUpFloorSeqNumber>"
    certificate = f"<sr:KeyAgreementTopUpCertificate>{_b64(pki[new + '-pp-ka'])}</sr:KeyAgreementTopUpCertificate>"
    return _body("UpdateSecurityCredentialsKRP", (
        f"{when}<sr:RemotePartyRole>{role}</sr:RemotePartyRole>"
        "<sr:RemotePartyFloorSeqNumber>10</sr:RemotePartyFloorSeqNumber>"
        f"{floor if top_up else ''}<sr:ReplacementCertificates><sr:SupplierOrNetworkOperatorCertificates>"
        f"<sr:DigitalSigningCertificate>{_b64(pki[new + '-ds'])}</sr:DigitalSigningCertificate>"
        f"<sr:KeyAgreementCertificate>{_b64(pki[new + '-ka'])}</sr:KeyAgreementCertificate>"
        f"{certificate if top_up else ''}</sr:SupplierOrNetworkOperatorCertificates></sr:ReplacementCertificates>"
        f"<sr:CertificationPathCertificates><sr:Certificate>{_b64(pki[new + '-ds'])}</sr:Certificate>"
        "</sr:CertificationPathCertificates><sr:ApplyTimeBasedCPVChecks>false</sr:ApplyTimeBasedCPVChecks>"))


def _send(parties: RemoteParties, device: Device, out: Transformed, counter: int, *, role: int,
          signed: bool) -> dict[str, Any]:
    result = device.handle(parties.command(device, out.message_code, out.payload, counter, role=role, signed=signed,
                                           other_information=out.other_information))
    assert result.response is not None, device.security_log.entries()[-3:]
    return decode_message(result.response)["payload"]["value"]


def test_supplier_credential_update_with_test_pki_certificates(parties: RemoteParties, pki: dict[str, bytes]) -> None:
    out = transform(_krp_body(pki), _ctx("CS02b", "6.15.1", 0))
    assert (out.use_case, out.message_code) == ("CS02b", 0x0102)
    device = create_device("ESME", bytes.fromhex("00DB1234567890F7"), VirtualClock(START), parties.anchors)
    value = _send(parties, device, out, 100, role=2, signed=True)
    outcome = value["executionOutcome"]
    assert [o["status"]["value"] for o in outcome["replacementOutcomes"]] == [0, 0, 0]
    assert [c["floorSeqNumber"] for c in outcome["remotePartySeqNumberChanges"]] == [10]
    assert device.security.anchors.by_role[2].eui == NEW_SUPPLIER
    control = decode_asn1(out.payload, message_code=out.message_code)["value"]["authorisingRemotePartyControl"]
    assert control["applyTimeBasedCPVChecks"]["value"] == 1  # ApplyTimeBasedCPVChecks false -> doNotApply
    assert control["newRemotePartyOtherFloorSeqNumbers"] == [{"seqNumberUsage": 0, "floorSeqNumber": 20}]


def test_future_dated_credential_update_is_stored(parties: RemoteParties, pki: dict[str, bytes]) -> None:
    when = "<sr:ExecutionDateTime>2025-06-02T00:00:00Z</sr:ExecutionDateTime>"
    out = transform(_krp_body(pki, when), _ctx("CS02b", "6.15.1", 0))
    device = create_device("ESME", bytes.fromhex("00DB1234567890F7"), VirtualClock(START), parties.anchors)
    assert _send(parties, device, out, 100, role=2, signed=True) == {"commandAccepted": None}
    assert device.security.anchors.by_role[2].eui != NEW_SUPPLIER


def test_acb_credential_update_with_test_pki_certificate(parties: RemoteParties, pki: dict[str, bytes]) -> None:
    body = _body("ServiceOptOut", (
        "<sr:ExecutionDateTime>2025-06-01T00:00:00Z</sr:ExecutionDateTime><sr:ACBFloorSeqNumber>0</sr:ACBFloorSeqNumber>"
        f"<sr:ReplacementCertificates><sr:KeyAgreementCertificate>{_b64(pki[NEW_ACB.hex() + '-ka'])}"
        "</sr:KeyAgreementCertificate></sr:ReplacementCertificates><sr:CertificationPathCertificates>"
        f"<sr:Certificate>{_b64(pki[NEW_ACB.hex() + '-ka'])}</sr:Certificate></sr:CertificationPathCertificates>"
        "<sr:ApplyTimeBasedCPVChecks>true</sr:ApplyTimeBasedCPVChecks>"))
    out = transform(body, _ctx("CS02b", "8.5", 0, counter=ACB_COUNTER))
    # the DCC holds an opt-out until its date, so the command itself is immediate
    assert out.message_code == 0x0104
    assert "executionDateTime" not in decode_asn1(out.payload, message_code=0x0104)["value"]
    device = create_device("ESME", bytes.fromhex("00DB1234567890F7"), VirtualClock(START), parties.anchors)
    value = _send(parties, device, out, ACB_COUNTER, role=4, signed=False)
    assert [o["status"]["value"] for o in value["executionOutcome"]["replacementOutcomes"]] == [0]
    assert device.security.anchors.by_role[4].eui == NEW_ACB


def test_device_certificate_and_method_c_join_with_test_pki(parties: RemoteParties, pki: dict[str, bytes]) -> None:
    device = create_device("PPMID", bytes.fromhex("00DB1234567890F8"), VirtualClock(START), parties.anchors)
    ctx = dataclasses.replace(_ctx("CS03C", "8.7.1", 0x00AF, device_type="PPMID"), extra={
        "other_device_type": "GSME", "other_device_certificate": pki[OTHER_DEVICE.hex() + "-ka"]})
    out = transform(_body("JoinServiceCritical", f"<sr:OtherDeviceID>{OTHER_DEVICE.hex('-')}</sr:OtherDeviceID>"),
                    ctx)
    assert _send(parties, device, out, 100, role=2, signed=True)["value"] == 0
    assert OTHER_DEVICE in device.security.han_peers


# ---------------------------------------------------------------------------- bad bodies

def _whitelist(code_octets: int, join: str = "90") -> etree._Element:
    return _body("UpdateHANDeviceLog", (
        "<sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID><sr:RequestType>Add</sr:RequestType>"
        f"<sr:AddDeviceToCHFWhitelist><sr:JoinTimePeriod>{join}</sr:JoinTimePeriod>"
        f"<sr:InstallCode>{'A5' * code_octets}</sr:InstallCode></sr:AddDeviceToCHFWhitelist>"))


CCS01_CTX = _ctx("CCS01", "8.11", 0x0001, device_type="CHF")


@pytest.mark.parametrize("octets", range(21))
def test_install_code_must_be_16_octets(octets: int) -> None:
    ctx = dataclasses.replace(CCS01_CTX, extra={"device_type": "ESME"})
    if octets == 16:
        assert transform(_whitelist(octets), ctx).payload_type == "dlms"
        return
    with pytest.raises(TransformError, match="InstallCode"):
        transform(_whitelist(octets), ctx)


@pytest.mark.parametrize(("join", "ok"), [("0", False), ("1", True), ("3600", True), ("3601", False),
                                          ("-5", False), ("ninety", False)])
def test_join_time_period_is_1_to_3600(join: str, ok: bool) -> None:
    ctx = dataclasses.replace(CCS01_CTX, extra={"device_type": "ESME"})
    if ok:
        transform(_whitelist(16, join), ctx)
        return
    with pytest.raises(TransformError, match="JoinTimePeriod"):
        transform(_whitelist(16, join), ctx)


GOOD_SUB_GHZ = {
    "LowerBandSubGHzChannels0To26": "<sr:Channel1/>", "LowerBandSubGHzChannels27To34": "<sr:Channel28/>",
    "LowerBandSubGHzChannels35To61": "", "UpperBandSubGHzChannels0To26": "<sr:Channel0/>",
    "NormalLimitedDutyCycleThreshold": "1.3", "LimitedCriticalDutyCycleThreshold": "2.2",
    "MaximumSubGHzChannelChangesPerWeek": "5", "GSMECurfew": "7", "ChannelQuieterThreshold": "7",
    "ChannelNoisierThreshold": "12", "NonGSMEPoorCommsPercentageThreshold": "60.00",
    "NonGSMEPoorCommsMeasurementPeriods": "130", "LocalCHNoiseMeasurementPeriod": "100",
    "LocalCHFailurePercentage": "40.00", "LocalCHRetryPercentage": "30.00",
}


def _sub_ghz(**changes: str) -> etree._Element:
    values = {**GOOD_SUB_GHZ, **changes}
    return _body("SetCHFSubGHzConfiguration", "".join(f"<sr:{k}>{v}</sr:{k}>" for k, v in values.items()))


def test_sub_ghz_configuration_masks_and_scaling() -> None:
    out = transform(_sub_ghz(), _ctx("DBCH04", "6.28", 0x010D, device_type="CHF"))
    members = decode_dlms(out.payload)["data"][0]["value"]
    assert [m["value"] for m in members[:4]] == ["E0000002", "E8000002", "F0000000", "F8000001"]
    assert [m["value"] for m in members[4:6]] == [130, 220] and members[10]["value"] == 6000


BAD_BODIES: list[tuple[str, etree._Element, TransformContext, str]] = [
    ("utrn-short", _body("TopUpDevice", "<sr:UTRN>7394614433204021731</sr:UTRN>"), _ctx("CS01a", "2.2", 7), "UTRN"),
    ("utrn-letters", _body("TopUpDevice", "<sr:UTRN>7394614433204021731X</sr:UTRN>"), _ctx("CS01b", "2.2", 0x97),
     "UTRN"),
    ("no-utrn", _body("TopUpDevice", ""), _ctx("CS01a", "2.2", 7), "UTRN"),
    ("hash-31", _body("ActivateFirmware", f"<sr:FirmwareHash>{'AB' * 31}</sr:FirmwareHash>"),
     _ctx("CS06", "11.3", 0x12), "FirmwareHash"),
    ("hash-not-hex", _body("ActivateFirmware", f"<sr:FirmwareHash>{'ZZ' * 32}</sr:FirmwareHash>"),
     _ctx("CS06", "11.3", 0x12), "FirmwareHash"),
    ("bad-when", _body("ActivateFirmware", f"<sr:ExecutionDateTime>soon</sr:ExecutionDateTime><sr:FirmwareHash>"
                                           f"{'AB' * 32}</sr:FirmwareHash>"), _ctx("CS06", "11.3", 0x12),
     "ExecutionDateTime"),
    ("credential-type", _body("IssueSecurityCredentials", "<sr:CredentialType>Both</sr:CredentialType>"),
     _ctx("CS02c", "6.17", 0x0A), "CredentialType"),
    ("certificate-not-base64", _body("UpdateSecurityCredentialsDevice",
                                     "<sr:DeviceCertificate>***</sr:DeviceCertificate>"),
     _ctx("CS02d", "6.15.2", 0x0B), "DeviceCertificate"),
    ("certificate-not-x509", _body("UpdateSecurityCredentialsDevice",
                                   "<sr:DeviceCertificate>MAMCAQE=</sr:DeviceCertificate>"),
     _ctx("CS02d", "6.15.2", 0x0B), "DeviceCertificate"),
    ("role", _body("RetrieveDeviceSecurityCredentialsKRP", "<sr:RemotePartyRole>Tenant</sr:RemotePartyRole>"),
     _ctx("CS02a", "6.24.1", 0x08), "RemotePartyRole"),
    ("cs02a-load-controller", _body("RetrieveDeviceSecurityCredentialsKRP",
                                    "<sr:RemotePartyRole>LoadController</sr:RemotePartyRole>"),
     _ctx("CS02a", "6.24.1", 0x08), "RemotePartyRole"),
    ("no-roles", _body("RetrieveDeviceSecurityCredentialsKRP", ""), _ctx("CS02f", "6.24.1", 0x11B), "RemotePartyRole"),
    ("other-device-id", _body("JoinServiceCritical", "<sr:OtherDeviceID>00-DB-12-34-56-78-90</sr:OtherDeviceID>"),
     _ctx("CS03A1", "8.7.1", 0x0D, other_device_type="HCALCS"), "OtherDeviceID"),
    ("no-inventory", _body("JoinServiceCritical", "<sr:OtherDeviceID>00-DB-12-34-56-78-90-9A</sr:OtherDeviceID>"),
     _ctx("CS03A1", "8.7.1", 0x0D), "other_device_type"),
    ("method-b-esme", _body("JoinServiceNonCritical", "<sr:OtherDeviceID>00-DB-12-34-56-78-90-9A</sr:OtherDeviceID>"),
     _ctx("CS03B", "8.7.2", 0x0E, other_device_type="ESME"), "OtherDeviceID"),
    ("no-certificate", _body("JoinServiceCritical", "<sr:OtherDeviceID>00-DB-12-34-56-78-90-9A</sr:OtherDeviceID>"),
     _ctx("CS03C", "8.7.1", 0xAF, other_device_type="GSME"), "other_device_certificate"),
    ("unjoin-missing", _body("UnjoinServiceCritical", ""), _ctx("CS04AC", "8.8.1", 0x0F), "OtherDeviceID"),
    ("cs07-security", _body("ReadDeviceLog", "<sr:ReadSecurityDetails/>"), _ctx("CS07", "8.9", 0x13),
     "ReadSecurityDetails"),
    ("ccs07-plain", _body("ReadDeviceLog", ""), _ctx("CCS07", "8.9", 0xFE), "ReadSecurityDetails"),
    ("ccs06-security", _body("ReadDeviceLog", "<sr:ReadSecurityDetails/>"), _ctx("CCS06", "8.9", 0x10F),
     "ReadSecurityDetails"),
    ("ccs01-remove", _body("UpdateHANDeviceLog", "<sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID>"
                                                 "<sr:RequestType>Remove</sr:RequestType>"),
     _ctx("CCS01", "8.11", 1, device_type="CHF"), "RequestType"),
    ("ccs01-no-whitelist", _body("UpdateHANDeviceLog", "<sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID>"
                                                       "<sr:RequestType>Add</sr:RequestType>"),
     _ctx("CCS01", "8.11", 1, device_type="CHF"), "AddDeviceToCHFWhitelist"),
    ("ccs01-device-type", _whitelist(16), dataclasses.replace(CCS01_CTX, extra={"device_type": "CHF"}), "DeviceID"),
    ("ccs02-whitelist", _body("UpdateHANDeviceLog", "<sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID>"
                                                    "<sr:RequestType>Remove</sr:RequestType><sr:AddDeviceToCHFWhitelist/>"),
     _ctx("CCS02", "8.11", 2, device_type="CHF"), "AddDeviceToCHFWhitelist"),
    ("ccs03-unknown-chf", _body("RestoreHANDeviceLog", "<sr:OldCHFID>00-DB-12-34-56-78-90-95</sr:OldCHFID>"),
     _ctx("CCS03", "8.12.1", 3, device_type="CHF", chf_device_logs={}), "OldCHFID"),
    ("cs10-log", _body("ReadEventOrSecurityLog", "<sr:ReadLogPeriod><sr:StartDateTime>2015-01-01T00:00:00Z"
                                                  "</sr:StartDateTime><sr:EndDateTime>2015-01-02T00:00:00Z"
                                                  "</sr:EndDateTime></sr:ReadLogPeriod><sr:LogToRead>Security"
                                                  "</sr:LogToRead>"), _ctx("CS10a", "6.13", 0x14), "LogToRead"),
    ("cs11-esme-log", _body("ClearEventLog", "<sr:ESMEEventLogType>ALCS</sr:ESMEEventLogType>"),
     _ctx("CS11", "3.3", 0x15), "ESMEEventLogType"),
    ("dbch02-period", _body("ReadCHFSubGHzChannelLog", "<sr:ReadLogPeriod><sr:StartDateTime>2015-01-02T00:00:00Z"
                                                       "</sr:StartDateTime><sr:EndDateTime>2015-01-01T00:00:00Z"
                                                       "</sr:EndDateTime></sr:ReadLogPeriod>"),
     _ctx("DBCH02", "6.32", 0x10B), "ReadLogPeriod"),
    ("dbch04-threshold", _sub_ghz(NormalLimitedDutyCycleThreshold="2.1"), _ctx("DBCH04", "6.28", 0x10D),
     "NormalLimitedDutyCycleThreshold"),
    ("dbch04-precision", _sub_ghz(LocalCHRetryPercentage="30.005"), _ctx("DBCH04", "6.28", 0x10D),
     "LocalCHRetryPercentage"),
    ("dbch04-channel", _sub_ghz(LowerBandSubGHzChannels0To26="<sr:Channel27/>"), _ctx("DBCH04", "6.28", 0x10D),
     "LowerBandSubGHzChannels0To26/Channel27"),
    ("dbch04-missing", _sub_ghz(GSMECurfew=""), _ctx("DBCH04", "6.28", 0x10D), "GSMECurfew"),
]


@pytest.mark.parametrize(("body", "ctx", "element"), [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES])
def test_bad_body_raises_transform_error_naming_the_element(body: etree._Element, ctx: TransformContext,
                                                             element: str) -> None:
    with pytest.raises(TransformError, match=re.escape(element)):
        transform(body, ctx)


@pytest.mark.parametrize(("role", "use_case", "reason"), [
    ("ACB", "CS02b", "RemotePartyRole"), ("Root", "CS02b", "RemotePartyRole"),
    ("LoadController", "CS02b", "CS02g"), ("Supplier", "CS02g", "CS02b"),
])
def test_credential_update_role_must_fit_the_use_case(pki: dict[str, bytes], role: str, use_case: str,
                                                      reason: str) -> None:
    with pytest.raises(TransformError, match=reason):
        transform(_krp_body(pki, role=role, top_up=False), _ctx(use_case, "6.15.1", 0))


def test_credential_update_bad_certificates(pki: dict[str, bytes]) -> None:
    body = _krp_body(pki, role="NetworkOperator")
    with pytest.raises(TransformError, match="RemotePartyPrepaymentTopUpFloorSeqNumber"):
        transform(body, _ctx("CS02b", "6.15.1", 0))
    body = _krp_body(pki)
    body.find(f".//{_sr('KeyAgreementCertificate')}").text = "bm90IGEgY2VydGlmaWNhdGU="
    with pytest.raises(TransformError, match="KeyAgreementCertificate"):
        transform(body, _ctx("CS02b", "6.15.1", 0))


def test_device_credentials_round_trip(parties: RemoteParties, device_pki: Pki) -> None:
    """CS02c gives a certification request, CS02d installs a certificate for its key, CS02e returns it."""
    eui = bytes.fromhex("00DB1234567890F9")
    device = create_device("ESME", eui, VirtualClock(START), parties.anchors, DeviceKeys.issue(device_pki, eui))
    ds = "<sr:CredentialType>Digital Signature</sr:CredentialType>"
    issue = transform(_body("IssueSecurityCredentials", ds), _ctx("CS02c", "6.17", 0x000A))
    response = device.handle(parties.command(device, issue.message_code, issue.payload, 100, signed=True)).response
    assert response is not None
    request = x509.load_der_x509_csr(bytes(parse_frame(response).content))
    ca = device_pki.device_ca
    san = x509.SubjectAlternativeName([x509.OtherName(ObjectIdentifier(HARDWARE_MODULE_NAME),
                                                      hardware_module_name(eui))])
    certificate = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(ca.certificate.subject)
                   .public_key(request.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
                   .not_valid_after(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC))
                   .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                                  critical=True)
                   .add_extension(san, critical=True).sign(ca.key, hashes.SHA256())
                   ).public_bytes(serialization.Encoding.DER)
    update = transform(_body("UpdateSecurityCredentialsDevice", f"<sr:DeviceCertificate>{_b64(certificate)}"
                                                                "</sr:DeviceCertificate>"),
                       _ctx("CS02d", "6.15.2", 0x000B))
    assert _send(parties, device, update, 101, role=2, signed=True) == {"value": 0, "name": "success"}
    provide = transform(_body("RetrieveDeviceSecurityCredentialsDevice", ds), _ctx("CS02e", "6.24.2", 0x000C))
    response = device.handle(parties.command(device, provide.message_code, provide.payload, 102, signed=True)).response
    assert response is not None and bytes(parse_frame(response).content) == certificate


@pytest.mark.parametrize(("body_time", "context_time", "expected"), [
    ("", None, None),
    ("", dt.datetime(2030, 1, 15, 9, tzinfo=dt.UTC), "20300115090000Z"),
    ("<sr:ExecutionDateTime>2031-02-03T04:05:06+01:00</sr:ExecutionDateTime>", None, "20310203030506Z"),
    ("<sr:ExecutionDateTime>3000-12-31T00:00:00Z</sr:ExecutionDateTime>", None, "99991231235959Z"),  # cancel
])
def test_firmware_activation_execution_time(body_time: str, context_time: dt.datetime | None,
                                            expected: str | None) -> None:
    body = _body("ActivateFirmware", f"{body_time}<sr:FirmwareHash>{'AB' * 32}</sr:FirmwareHash>")
    ctx = dataclasses.replace(_ctx("CS06", "11.3", 0x0012, counter=4321), execution_datetime=context_time)
    value = decode_asn1(transform(body, ctx).payload, message_code=0x0012)["value"]
    assert value["originatorCounter"] == 4321 and value.get("executionDateTime") == expected
