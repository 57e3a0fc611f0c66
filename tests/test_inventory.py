"""The DCC's Smart Metering Inventory: statuses, transitions, refusals (E5), 8.2/8.3/8.4/12.2 and the UI."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestServer
from lxml import etree

from proving import duis
from proving.duis.namespaces import sr
from proving.embedded import EmbeddedDcc, embedded_dcc
from proving.eui import eui_str
from proving.http_api import DuisHttpApi
from proving.identities import ACB, user
from proving.inventory import (
    ALLOWED_SRVS,
    COMMISSIONED,
    DECOMMISSIONED,
    INSTALLED,
    PENDING,
    STATUSES,
    SUSPENDED,
    WHITELISTED,
    WITHDRAWN,
    Device,
    InventoryError,
    SmartMeteringInventory,
    dsp_inventory,
)
from proving.premises import DEFAULT_DEVICES
from proving.webui import KeyRing, secure_app

ESME = bytes.fromhex(DEFAULT_DEVICES[0][0])
CHF = bytes.fromhex(DEFAULT_DEVICES[2][0])
PPMID = bytes.fromhex(DEFAULT_DEVICES[4][0])
NEW = bytes.fromhex("00DB1234567BAF01")  # not installed anywhere
XSD = "DUIS Schema V5.4.xsd"


@pytest.fixture
def dcc(corpus: Path, tmp_path: Path) -> EmbeddedDcc:
    system = embedded_dcc(tmp_path / "state", corpus / "duis" / "xsd")
    system.approve_default_thresholds()
    for role in ("IS", "GS", "ED", "GT"):
        system.entry_tests.record(role, f"run-{role}", passed=True, completed_at="2026-11-21T00:00:00Z")
    return system


def _refused(call: object, code: str) -> None:
    with pytest.raises(InventoryError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.code == code


# ---------------------------------------------------------------------- the model


def test_statuses_are_the_xsd_enumeration(corpus: Path) -> None:
    tree = etree.parse(str(corpus / "duis" / "xsd" / XSD))
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    listed = tree.xpath("//xs:simpleType[@name='DeviceStatus']//xs:enumeration/@value", namespaces=ns)
    assert tuple(listed) == STATUSES and set(ALLOWED_SRVS) == set(STATUSES)


def test_lifecycle_from_pre_notification_to_deletion() -> None:
    smi = SmartMeteringInventory(now=lambda: 1_800_000_000.0)
    assert smi.prenotify(NEW, "ESME", manufacturer="M", model="X").status == PENDING
    _refused(lambda: smi.apply(NEW, "8.1.1"), "E5")  # not installed yet
    assert smi.apply(NEW, "8.11").status == WHITELISTED
    assert smi.apply(NEW, "join").status == INSTALLED
    device = smi.apply(NEW, "8.1.1")
    assert device.status == COMMISSIONED and device.date_commissioned == 1_800_000_000.0
    _refused(lambda: smi.prenotify(NEW, "ESME", manufacturer="M", model="X"), "E5")  # already in the SMI
    _refused(lambda: smi.apply(NEW, "8.4:DeleteDevice"), "E5")  # only never-commissioned devices
    assert smi.apply(NEW, "8.3").status == DECOMMISSIONED
    _refused(lambda: smi.apply(NEW, "8.3"), "E5")
    assert smi.apply(NEW, "8.4:Pending").status == PENDING
    smi.apply(NEW, "8.4:DeleteDevice")
    assert smi.get(NEW) is None and NEW in smi.deleted
    causes = [(c.before, c.after, c.cause) for c in smi.deleted[NEW].history]
    assert causes[0] == ("(not in SMI)", PENDING, "12.2") and causes[-1] == (PENDING, "(deleted)", "8.4:DeleteDevice")
    _refused(lambda: smi.apply(NEW, "8.3"), "E19")


def test_withdrawal_device_types_and_dcc_statuses() -> None:
    smi = SmartMeteringInventory()
    smi.prenotify(NEW, "PPMID", manufacturer="M", model="X")
    smi.apply(NEW, "8.11")
    assert smi.apply(NEW, "8.3").status == WITHDRAWN  # never commissioned: withdrawn
    smi.add(Device(CHF, "CHF", COMMISSIONED))
    assert smi.apply(CHF, "8.4:CH:Withdrawn").status == WITHDRAWN
    _refused(lambda: smi.apply(CHF, "8.4:Pending"), "E11")  # the CH statuses are set with UpdateDeviceStatusCH
    smi.add(Device(ESME, "ESME", COMMISSIONED))
    assert smi.set_status(ESME, SUSPENDED).status == SUSPENDED
    assert smi.refusal(ESME, "11.1") is None and smi.refusal(ESME, "4.1.1").code == "E5"
    _refused(lambda: smi.set_status(ESME, "Recovered"), "E5")  # only after Recovery
    smi.add(Device(PPMID, "PPMID", INSTALLED))
    assert smi.try_apply(PPMID, "8.7") and smi.status(PPMID) == COMMISSIONED  # a Type 1 device joins a meter
    assert not smi.try_apply(ESME, "8.7")  # a meter is not commissioned by a join


@pytest.mark.parametrize(("cause", "before", "kind", "after"), [
    ("8.4:InstalledNotCommissioned", COMMISSIONED, "ESME", INSTALLED),
    ("8.4:Pending", WITHDRAWN, "GSME", PENDING),
    ("8.4:CH:Commissioned", INSTALLED, "CHF", COMMISSIONED),
    ("8.4:CH:InstalledNotCommissioned", PENDING, "CHF", INSTALLED),
    ("8.3", SUSPENDED, "ESME", DECOMMISSIONED),
    ("8.3", PENDING, "PPMID", WITHDRAWN),
    ("8.7", WHITELISTED, "HCALCS", COMMISSIONED),
    ("DCC:Recovery", COMMISSIONED, "ESME", "Recovery"),
    ("DCC:Recovered", "Recovery", "ESME", "Recovered"),
    ("DCC:Commissioned", SUSPENDED, "ESME", COMMISSIONED),
])
def test_each_listed_transition(cause: str, before: str, kind: str, after: str) -> None:
    smi = SmartMeteringInventory()
    smi.add(Device(NEW, kind, before))
    assert smi.apply(NEW, cause, request_id="x").status == after
    assert smi.get(NEW).history[-1].cause == cause


def test_every_status_gates_device_srvs() -> None:
    smi = SmartMeteringInventory()
    for status in STATUSES:
        smi.add(Device(ESME, "ESME", status))
        refusal = smi.refusal(ESME, "4.1.1")
        assert (refusal is None) == (status in (INSTALLED, COMMISSIONED, "Recovered")), status


def test_dsp_inventory_is_xsd_valid(corpus: Path) -> None:
    schema = duis.load_schema(corpus / "duis" / "xsd")
    element = dsp_inventory([Device(ESME, "ESME", COMMISSIONED, "smetsim", "generic-esme", "0000000000010",
                                    900000000001, CHF, 1_800_000_000.0)])
    response = duis.DuisResponse("I0", datetime(2027, 1, 15, 8, tzinfo=UTC),
                                 duis.ResponseMessage("8.2", other_xml=etree.tostring(element)),
                                 duis.RequestId(eui_str(user("IS").eui), eui_str(ACB), 1))
    schema.assert_valid(response.to_xml())


# ---------------------------------------------------------------------- the front end


def _send(dcc: EmbeddedDcc, srv: str, body: etree._Element, counter: int, *, target: bytes = ACB,
          variant: int = 8, role: str = "IS") -> object:
    pp = user(role)
    document = duis.build_request(duis.RequestId(eui_str(pp.eui), eui_str(target), counter), srv, variant, body)
    key, cert = dcc.xml_signer(pp)
    exchange = dcc.frontend.submit(duis.to_bytes(duis.sign(document, key, cert)),
                                   service="D" if variant == 8 else "S")
    for response in exchange.responses:
        dcc.frontend.schema.assert_valid(response)
    return exchange


def _body(name: str, **children: str) -> etree._Element:
    body = etree.Element(sr(name))
    for child, text in children.items():
        etree.SubElement(body, sr(child)).text = text
    return body


def _read(dcc: EmbeddedDcc, eui: bytes, counter: int) -> dict[str, str]:
    exchange = _send(dcc, "8.2", _body("ReadInventory", DeviceID=eui_str(eui)), counter)
    assert exchange.outcome == "I0"
    root = etree.fromstring(exchange.responses[-1])
    return {d.findtext(sr("DeviceID")): d.findtext(sr("DeviceStatus")) for d in root.iter(sr("Device"))}


def test_read_inventory_answers_the_premises_with_statuses(dcc: EmbeddedDcc) -> None:
    statuses = _read(dcc, ESME, 10)
    assert statuses == {eui_str(bytes.fromhex(d[0])): COMMISSIONED for d in DEFAULT_DEVICES}
    assert _send(dcc, "8.2", _body("ReadInventory", UPRN="1"), 11).outcome == "I99"  # nothing there


def test_decommissioned_device_gets_e5_and_update_inventory_brings_it_back(dcc: EmbeddedDcc) -> None:
    read = etree.Element(sr("ReadInstantaneousImportRegisters"))
    assert _send(dcc, "8.3", _body("DecommissionDevice", DeviceID=eui_str(ESME)), 20).outcome == "I99"
    assert _read(dcc, ESME, 21)[eui_str(ESME)] == DECOMMISSIONED
    refused = _send(dcc, "4.1.1", read, 22, target=ESME, variant=1)
    assert refused.outcome == "E5" and not refused.gbcs  # nothing went to the device
    assert _send(dcc, "8.3", _body("DecommissionDevice", DeviceID=eui_str(ESME)), 23).outcome == "E5"
    update = _body("UpdateInventory", DeviceID=eui_str(ESME), UpdateDeviceStatusExceptCH=PENDING)
    assert _send(dcc, "8.4", update, 24).outcome == "I99"
    assert dcc.frontend.inventory.status(ESME) == PENDING
    assert _send(dcc, "4.1.1", read, 25, target=ESME, variant=1).outcome == "E5"


def test_pre_notification_whitelisting_and_join(dcc: EmbeddedDcc, corpus: Path) -> None:
    smi = dcc.frontend.inventory
    prenote = _body("DevicePrenotification", DeviceID=eui_str(NEW), DeviceManufacturer="M", DeviceModel="X",
                    DeviceType="PPMID")
    assert _send(dcc, "12.2", prenote, 30).outcome == "I99" and smi.status(NEW) == PENDING
    assert _send(dcc, "12.2", prenote, 31).outcome == "E5"
    existing = _body("DevicePrenotification", DeviceID=eui_str(ESME), DeviceManufacturer="M", DeviceModel="X",
                     DeviceType="ESME")
    assert _send(dcc, "12.2", existing, 32).outcome == "E5" and smi.status(ESME) == COMMISSIONED
    delete = _body("UpdateInventory", DeviceID=eui_str(NEW))
    etree.SubElement(delete, sr("DeleteDevice"))
    assert _send(dcc, "8.4", delete, 33).outcome == "I99" and smi.get(NEW) is None
    # the PPMID: decommission, re-use (Pending), whitelist on the CHF; being installed there, it joins
    assert _send(dcc, "8.3", _body("DecommissionDevice", DeviceID=eui_str(PPMID)), 34).outcome == "I99"
    update = _body("UpdateInventory", DeviceID=eui_str(PPMID), UpdateDeviceStatusExceptCH=PENDING)
    assert _send(dcc, "8.4", update, 35).outcome == "I99"
    whitelist = duis.parse_request((corpus / "duis" / "templates" / "CCS01_8.11_SUCCESS_REQUEST_DUIS.XML")
                                   .read_bytes()).body
    whitelist.find(sr("DeviceID")).text = eui_str(PPMID)
    assert _send(dcc, "8.11", whitelist, 36, target=CHF, variant=1).outcome == "I0"
    device = smi.get(PPMID)
    assert device.status == INSTALLED and device.chf == CHF
    assert [c.cause for c in device.history][-3:] == ["8.4:Pending", "8.11", "join"]


# ---------------------------------------------------------------------- the UI


def test_the_ui_shows_the_status_and_its_history(dcc: EmbeddedDcc) -> None:
    assert _send(dcc, "8.3", _body("DecommissionDevice", DeviceID=eui_str(PPMID)), 40).outcome == "I99"
    keys = {"DCC": "operator-key-0123456789"}

    async def main() -> None:
        api = DuisHttpApi(dcc.frontend, dcc.keystore)
        async with TestServer(secure_app(api, dcc, KeyRing.from_plain(keys))) as server, \
                ClientSession(cookie_jar=CookieJar(unsafe=True)) as session:
            async with session.post(server.make_url("/ui/login"), data={"api_key": keys["DCC"]},
                                    allow_redirects=False) as reply:
                assert reply.status == 303
            async with session.get(server.make_url("/ui/")) as reply:
                page = await reply.text()
            assert 'smi-decommissioned">Decommissioned' in page and 'smi-commissioned">Commissioned' in page
            async with session.get(server.make_url(f"/ui/devices/{eui_str(PPMID)}")) as reply:
                page = await reply.text()
            assert "SMI status history" in page and "<td>Commissioned</td><td>Decommissioned</td><td>8.3</td>" in page

    asyncio.run(main())
