"""The DUIS web services over real HTTP: synchronous answers, asynchronous delivery to a receiver, SMKI search."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from lxml import etree

from proving import duis
from proving.duis.namespaces import sr
from proving.embedded import EmbeddedDcc, embedded_dcc
from proving.eui import eui_str
from proving.http_api import DuisHttpApi
from proving.identities import user
from proving.premises import DEFAULT_DEVICES

ESME = bytes.fromhex(DEFAULT_DEVICES[0][0])


@pytest.fixture
def dcc(corpus: Path, tmp_path: Path) -> EmbeddedDcc:
    system = embedded_dcc(tmp_path / "state", corpus / "duis" / "xsd")
    system.approve_default_thresholds()
    system.entry_tests.record("IS", "run-IS", passed=True, completed_at="2026-11-21T00:00:00Z")
    return system


def _read_request(dcc: EmbeddedDcc, counter: int, *, signed: bool = True) -> bytes:
    pp = user("IS")
    request_id = duis.RequestId(eui_str(pp.eui), eui_str(ESME), counter)
    document = duis.build_request(request_id, "4.1.1", 1, etree.Element(sr("ReadInstantaneousImportRegisters")))
    if signed:
        key, cert = dcc.xml_signer(pp)
        document = duis.sign(document, key, cert)
    return duis.to_bytes(document)


async def _exercise(dcc: EmbeddedDcc) -> dict:
    received: list[bytes] = []
    arrived = asyncio.Event()

    async def receive(request: web.Request) -> web.Response:
        received.append(await request.read())
        arrived.set()
        return web.Response(status=204)

    receiver_app = web.Application()
    receiver_app.router.add_post("/receive", receive)
    async with TestServer(receiver_app) as receiver:
        api = DuisHttpApi(dcc.frontend, dcc.keystore, receive_url=str(receiver.make_url("/receive")))
        async with TestClient(TestServer(api.app())) as client:
            ok = await client.post("/api/v1/serviceS", data=_read_request(dcc, 7000))
            ok_body = await ok.read()
            wrong_url = await client.post("/api/v1/serviceT", data=_read_request(dcc, 7001))
            wrong_body = await wrong_url.read()
            unsigned = await client.post("/api/v1/serviceS", data=_read_request(dcc, 7002, signed=False))
            cert = await client.get("/smki/certificates", params={"eui": eui_str(ESME), "usage": "ds"})
            pem = await cert.read()
            missing = await client.get("/smki/certificates", params={"eui": "00-00-00-00-00-00-00-01"})
            await asyncio.wait_for(arrived.wait(), timeout=10)
            outbox = await (await client.get("/api/v1/outbox")).json()
    return {"ok": (ok.status, ok_body), "wrong": (wrong_url.status, wrong_body), "unsigned": unsigned.status,
            "cert": (cert.status, pem), "missing": missing.status, "received": received,
            "outbox": outbox}


def test_duis_web_services_over_http(dcc: EmbeddedDcc) -> None:
    result = asyncio.run(_exercise(dcc))
    status, body = result["ok"]
    assert status == 200 and duis.parse_response(body).response_code == "I99"
    status, body = result["wrong"]
    assert status == 200 and duis.parse_response(body).response_code == "E13"
    assert result["unsigned"] == 400
    status, pem = result["cert"]
    assert status == 200 and pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert result["missing"] == 404
    [device_response] = result["received"]
    dcc.frontend.schema.assert_valid(device_response)
    response = duis.parse_response(device_response)
    assert response.response_code == "I0" and response.body.gbcs_payload
    assert result["outbox"]["delivered"] == 1 and result["outbox"]["pending"] == 0
