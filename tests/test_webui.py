"""The Self Service Interface over HTTP (aiohttp test server): access control, forms, G6 actions, live alerts."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestServer
from lxml import etree

from proving import duis
from proving.alert_storm import StormConfig
from proving.audit import AuditMessage
from proving.duis.namespaces import sr
from proving.embedded import EmbeddedDcc, embedded_dcc
from proving.eui import eui_str
from proving.http_api import DuisHttpApi
from proving.identities import user
from proving.premises import DEFAULT_DEVICES
from proving.registration import mpan_check_digit
from proving.webui import KeyRing, secure_app
from proving.webui.auth import load_or_create_keys

ESME = bytes.fromhex(DEFAULT_DEVICES[0][0])
GSME = bytes.fromhex(DEFAULT_DEVICES[1][0])
OUTSIDER = "00-11-22-33-44-55-66-77"  # a User ID outside the PP range
KEYS = {eui_str(user("IS").eui): "is-key-0123456789", eui_str(user("GS").eui): "gs-key-0123456789",
        OUTSIDER: "user-key-0123456789", "DCC": "operator-key-0123456789"}
IS, GS, USER, OPERATOR = KEYS.values()
Scenario = Callable[["Site"], Awaitable[None]]


@pytest.fixture
def dcc(corpus: Path, tmp_path: Path) -> EmbeddedDcc:
    system = embedded_dcc(tmp_path / "state", corpus / "duis" / "xsd", storm=StormConfig(window=60, threshold=1))
    system.approve_default_thresholds()
    for role in ("IS", "GS", "ED", "GT"):
        system.entry_tests.record(role, f"run-{role}", passed=True, completed_at="2026-11-21T00:00:00Z")
    return system


class Site:
    """A running server with one cookie jar per logged-in account."""

    def __init__(self, server: TestServer, dcc: EmbeddedDcc, api: DuisHttpApi) -> None:
        self.server = server
        self.dcc = dcc
        self.duis_api = api
        self.sessions: list[ClientSession] = []

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def login(self, key: str) -> ClientSession:
        session = ClientSession(cookie_jar=CookieJar(unsafe=True))
        self.sessions.append(session)
        async with session.post(self.url("/ui/login"), data={"api_key": key}, allow_redirects=False) as reply:
            assert reply.status == 303, await reply.text()
        return session

    async def csrf(self, session: ClientSession, path: str = "/ui/") -> str:
        async with session.get(self.url(path)) as reply:
            return re.search(r'name="csrf" value="([^"]+)"', await reply.text()).group(1)

    async def api(self, key: str | None, counter: int, *, role: str = "IS", target: bytes = ESME) -> tuple[int, str]:
        pp = user(role)
        request_id = duis.RequestId(eui_str(pp.eui), eui_str(target), counter)
        document = duis.build_request(request_id, "4.1.1", 1, etree.Element(sr("ReadInstantaneousImportRegisters")))
        signing_key, cert = self.dcc.xml_signer(pp)
        body = duis.to_bytes(duis.sign(document, signing_key, cert))
        headers = {"X-API-Key": key} if key else {}
        async with ClientSession() as anonymous, anonymous.post(self.url("/api/v1/serviceS"), data=body,
                                                               headers=headers) as reply:
            return reply.status, str(request_id)


def run(dcc: EmbeddedDcc, scenario: Scenario) -> None:
    async def main() -> None:
        api = DuisHttpApi(dcc.frontend, dcc.keystore)
        async with TestServer(secure_app(api, dcc, KeyRing.from_plain(KEYS))) as server:
            site = Site(server, dcc, api)
            try:
                await scenario(site)
            finally:
                for session in site.sessions:
                    await session.close()

    asyncio.run(main())


async def _get(session: ClientSession, site: Site, path: str) -> tuple[int, str]:
    async with session.get(site.url(path), allow_redirects=False) as reply:
        return reply.status, await reply.text()


async def _post(session: ClientSession, site: Site, path: str, data: dict[str, str]) -> tuple[int, str]:
    async with session.post(site.url(path), data=data, allow_redirects=False) as reply:
        return reply.status, await reply.text()


def test_keys_are_stored_hashed_and_identities_kept_apart(tmp_path: Path) -> None:
    ring = KeyRing.from_plain(KEYS)
    ring.save(tmp_path / "keys.json")
    stored = (tmp_path / "keys.json").read_text()
    assert all(key not in stored for key in KEYS.values()) and "sha256$" in stored
    loaded = KeyRing.load(tmp_path / "keys.json")
    assert loaded.authenticate(IS).kind == "pp" and loaded.authenticate(USER).kind == "user"
    assert loaded.authenticate(OPERATOR).is_operator and loaded.authenticate("guess") is None
    created, fresh = load_or_create_keys(tmp_path / "new" / "keys.json", ["DCC", OUTSIDER])
    assert set(fresh) == {"DCC", OUTSIDER} and created.authenticate(fresh[OUTSIDER]).eui == OUTSIDER
    again, none = load_or_create_keys(tmp_path / "new" / "keys.json", ["DCC"])
    assert none == {} and again.authenticate(fresh["DCC"]).is_operator


def test_login_and_the_duis_api_need_a_key(dcc: EmbeddedDcc) -> None:
    async def scenario(site: Site) -> None:
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as anonymous:
            status, _ = await _get(anonymous, site, "/ui/audit")
            assert status == 303  # to the login page
            status, page = await _post(anonymous, site, "/ui/login", {"api_key": "wrong"})
            assert status == 401 and 'id="api_key-error"' in page and 'aria-invalid="true"' in page
        assert (await site.api(None, 1))[0] == 401
        assert (await site.api(USER, 2))[0] == 403  # a User key never passes as a PP identity
        assert (await site.api(GS, 3))[0] == 403  # nor as another PP role
        assert (await site.api(OPERATOR, 4))[0] == 403
        assert (await site.api(IS, 5))[0] == 200
        session = await site.login(IS)
        status, page = await _get(session, site, "/ui/")
        assert status == 200 and "<main" in page and "<th scope=\"col\">Device ID</th>" in page
        csrf = await site.csrf(session)
        assert (await _post(session, site, "/ui/logout", {"csrf": csrf}))[0] == 303
        assert (await _get(session, site, "/ui/"))[0] == 303  # the session is gone
        async with session.get(site.url("/ui/events"), headers={"Accept": "text/event-stream"}) as reply:
            assert reply.status == 401

    run(dcc, scenario)


def test_another_users_requests_are_invisible_and_unreachable(dcc: EmbeddedDcc) -> None:
    async def scenario(site: Site) -> None:
        status, request_id = await site.api(IS, 10)
        assert status == 200
        mine = [r.seq for r in dcc.audit.by_request(request_id)]
        owner, other, outsider = await site.login(IS), await site.login(GS), await site.login(USER)
        assert (await _get(owner, site, f"/ui/requests/{request_id}"))[0] == 200
        assert (await _get(owner, site, f"/ui/audit/{mine[-1]}"))[0] == 200
        for session in (other, outsider):
            assert (await _get(session, site, f"/ui/requests/{request_id}"))[0] == 404
            for seq in mine:
                assert (await _get(session, site, f"/ui/audit/{seq}"))[0] == 404
            status, page = await _get(session, site, f"/ui/audit?request_id={request_id}")
            assert status == 200 and "0 matching entries" in page
            status, page = await _get(session, site, "/ui/audit")
            assert request_id not in page
            assert (await _get(session, site, f"/ui/devices/{eui_str(ESME)}"))[0] == 404
        assert (await _get(other, site, f"/ui/devices/{eui_str(GSME)}"))[0] == 200
        assert (await _get(outsider, site, "/ui/pp"))[0] == 403  # PP is kept apart from Users
        assert (await _get(outsider, site, "/ui/send"))[0] == 403
        assert (await _get(other, site, "/ui/pp"))[0] == 200

    run(dcc, scenario)


def test_registration_data_form_refuses_real_identifiers_and_stores_nothing(dcc: EmbeddedDcc) -> None:
    async def scenario(site: Site) -> None:
        session = await site.login(IS)
        csrf = await site.csrf(session, "/ui/pp")
        mpan = "001234567890" + str(mpan_check_digit("001234567890"))
        good = f"{mpan},electricity,9001,9002,_Z,9201"
        bad = good + "\n1212345678901,electricity,ABCD,9002,_A,9201"
        status, page = await _post(session, site, "/ui/pp/registration", {"csrf": csrf, "records": bad})
        assert status == 400 and 'id="records-error"' in page and "real distributor ID 12" in page
        assert "real-looking party ID" in page and "nothing stored" in page
        assert "None yet." in (await _get(session, site, "/ui/pp"))[1]
        assert (await _post(session, site, "/ui/pp/registration", {"records": good}))[0] == 403  # no CSRF token
        status, _ = await _post(session, site, "/ui/pp/registration", {"csrf": csrf, "records": good})
        assert status == 303
        page = (await _get(session, site, "/ui/pp"))[1]
        assert mpan in page and "accepted: 1 record" in page
        status, page = await _post(session, site, "/ui/pp/registration/generate",
                                   {"csrf": csrf, "count": "0", "fuel": "oil", "seed": "x"})
        assert status == 400 and all(f'id="{f}-error"' in page for f in ("count", "fuel", "seed"))
        status, _ = await _post(session, site, "/ui/pp/registration/generate",
                                {"csrf": csrf, "count": "3", "fuel": "gas", "seed": "1"})
        page = (await _get(session, site, "/ui/pp"))[1]
        assert status == 303 and "Generated 3 dummy gas record(s)" in page and "(4 records)" in page

    run(dcc, scenario)


def test_thresholds_are_set_by_the_owner_approved_by_the_dcc_and_breaches_quarantined(dcc: EmbeddedDcc) -> None:
    async def scenario(site: Site) -> None:
        owner, other, operator = await site.login(IS), await site.login(GS), await site.login(OPERATOR)
        csrf = await site.csrf(owner, "/ui/thresholds")
        me = eui_str(user("IS").eui)
        status, page = await _post(owner, site, "/ui/thresholds", {"csrf": csrf, "owner": me, "rules": "9.9.9, 0, x"})
        assert status == 400 and 'id="rules-error"' in page and "Line 1" in page
        status, page = await _post(owner, site, "/ui/thresholds",
                                   {"csrf": csrf, "owner": eui_str(user("GS").eui), "rules": "*, 60, 1"})
        assert status == 400 and 'id="owner-error"' in page  # only its own thresholds
        status, _ = await _post(owner, site, "/ui/thresholds", {"csrf": csrf, "owner": me, "rules": "4.1.1, 3600, 1"})
        assert status == 303 and "4.1.1: 1 per 3600 s" in (await _get(owner, site, "/ui/thresholds"))[1]
        assert (await _post(owner, site, "/ui/thresholds/approve", {"csrf": csrf, "owner": me}))[0] == 403
        ops = await site.csrf(operator, "/ui/thresholds")
        assert (await _post(operator, site, "/ui/thresholds/approve", {"csrf": ops, "owner": me}))[0] == 303
        assert "approved" in (await _get(operator, site, "/ui/thresholds"))[1]
        statuses = [(await site.api(IS, counter))[0] for counter in (31, 32, 33)]
        assert statuses == [200, 200, 200]
        refs = [q.ref for q in dcc.anomaly.quarantined()]
        assert len(refs) == 2
        page = (await _get(owner, site, "/ui/quarantine"))[1]
        assert all(f"Release request {ref}" in page for ref in refs)
        assert "Nothing is quarantined." in (await _get(other, site, "/ui/quarantine"))[1]
        other_csrf = await site.csrf(other, "/ui/quarantine")
        status, page = await _post(other, site, "/ui/quarantine/release", {"csrf": other_csrf, "ref": str(refs[0])})
        assert status == 404 and len(dcc.anomaly.quarantined()) == 2  # not its request
        status, page = await _post(owner, site, "/ui/quarantine/release", {"csrf": csrf, "ref": "x"})
        assert status == 400 and 'id="ref-error"' in page
        assert (await _post(owner, site, "/ui/quarantine/release", {"csrf": csrf, "ref": str(refs[0])}))[0] == 303
        page = (await _get(owner, site, "/ui/quarantine"))[1]
        assert ":32: outcome I0" in page
        released = [r for r in dcc.audit.records() if r.correlates_to and r.correlates_to.endswith(":32")]
        assert "I0" in [r.response_code for r in released]
        assert (await _post(owner, site, "/ui/quarantine/delete", {"csrf": csrf, "ref": str(refs[1])}))[0] == 303
        assert dcc.anomaly.quarantined() == ()

    run(dcc, scenario)


def test_audit_search_marks_out_of_sequence_and_decodes_gbcs(dcc: EmbeddedDcc) -> None:
    async def scenario(site: Site) -> None:
        _, request_id = await site.api(IS, 40)
        late = f"{eui_str(user('IS').eui)}:{eui_str(ESME)}:41"
        dcc.audit.append_many([
            AuditMessage("request", "UpdateImportTariff", late, srv="1.1.1", direction="in"),
            AuditMessage("response", "ResponseMessage", late, srv="1.1.1", response_code="I0", alert_code="8F66",
                         instruction=1, total_instructions=1, future_dated=True, direction="out"),
        ])
        session = await site.login(IS)
        status, page = await _get(session, site, "/ui/audit?oos=1")
        assert status == 200 and "1 matching entry" in page and "Out of sequence" in page and late in page
        page = (await _get(session, site, f"/ui/audit?request_id={request_id}&srv=4.1.1"))[1]
        assert "3 matching entries" in page
        page = (await _get(session, site, "/ui/audit?device=nonsense&srv=99&since=yesterday"))[1]
        assert all(f'id="{f}-error"' in page for f in ("device", "srv", "since"))
        response = [r for r in dcc.audit.by_request(request_id) if r.response_code == "I0"][0]
        page = (await _get(session, site, f"/ui/audit/{response.seq}"))[1]
        assert "Decoded GBCS message" in page and "general-signing APDU" in page and "originator" in page

    run(dcc, scenario)


async def _read_events(stream: object, seconds: float) -> str:
    lines = []
    try:
        while True:
            line = await asyncio.wait_for(stream.content.readline(), seconds)  # type: ignore[attr-defined]
            if not line:
                break
            lines.append(line.decode())
            if lines[-2:-1] == ["event: alert\n"]:
                break  # the alert's data line is in
    except TimeoutError:
        pass
    return "".join(lines)


def test_throttled_alerts_arrive_live_with_their_metadata(dcc: EmbeddedDcc) -> None:
    esme = dcc.premises.devices[ESME].device

    async def scenario(site: Site) -> None:
        owner, other = await site.login(IS), await site.login(GS)
        for _ in range(2):
            esme.raise_alert(0x8F3D)
        await site.api(IS, 50)  # the first 8F3D is delivered, the second suppressed
        page = (await _get(owner, site, "/ui/alerts"))[1]
        assert "throttling: 1 suppressed" in page
        head = len(dcc.audit)
        mine = await owner.get(site.url(f"/ui/events?after={head}"))
        theirs = await other.get(site.url(f"/ui/events?after={head}"))
        dcc.premises.clock.advance(61)
        esme.raise_alert(0x8F3D)
        await site.api(IS, 51)
        seen = await _read_events(mine, 10)
        assert "event: audit" in seen and "event: alert" in seen and "1 suppressed" in seen
        assert "event:" not in await _read_events(theirs, 1.0)  # GS sees none of IS's traffic
        mine.close()
        theirs.close()
        page = (await _get(owner, site, "/ui/alerts"))[1]
        assert "1 suppressed" in page and "8F3D" in page and "at the limit" in page

    run(dcc, scenario)


def test_the_send_form_signs_as_the_pp_identity_and_feeds_the_outbox(dcc: EmbeddedDcc) -> None:
    async def scenario(site: Site) -> None:
        session = await site.login(IS)
        csrf = await site.csrf(session, "/ui/send")
        status, page = await _post(session, site, "/ui/send", {"csrf": csrf, "srv": "4.1.1", "target": eui_str(GSME)})
        assert status == 400 and 'id="target-error"' in page  # a gas meter is not the import supplier's
        status, page = await _post(session, site, "/ui/send", {"csrf": csrf, "srv": "8.1.1", "target": eui_str(ESME)})
        assert status == 400 and 'id="srv-error"' in page
        async with session.post(site.url("/ui/send"), data={"csrf": csrf, "srv": "4.1.1", "target": eui_str(ESME)},
                                headers={"Accept": "application/json"}) as reply:
            sent = await reply.json()
        assert sent["code"] == "I99" and sent["outcome"] == "I0"
        assert sent["request_id"].startswith(eui_str(user("IS").eui) + ":" + eui_str(ESME))
        [document] = site.duis_api.outbox.pending  # the device's response goes to the Receive Response URL
        assert duis.parse_response(document).response_code == "I0"
        assert (await _get(session, site, sent["url"]))[0] == 200

    run(dcc, scenario)


def test_lab_stimuli_are_the_operators_and_raise_alerts_and_move_the_clock(dcc: EmbeddedDcc) -> None:
    esme = dcc.premises.devices[ESME].device

    async def scenario(site: Site) -> None:
        owner, operator = await site.login(IS), await site.login(OPERATOR)
        device = f"/ui/devices/{eui_str(ESME)}"
        csrf = await site.csrf(owner, device)
        assert "Raise alerts" not in (await _get(owner, site, device))[1]
        assert (await _post(owner, site, f"{device}/alerts", {"csrf": csrf, "code": "8F3D", "count": "2"}))[0] == 403
        assert (await _post(owner, site, "/ui/clock", {"csrf": csrf, "seconds": "61"}))[0] == 403
        ops = await site.csrf(operator, device)
        status, page = await _post(operator, site, f"{device}/alerts", {"csrf": ops, "code": "XYZ", "count": "0"})
        assert status == 400 and 'id="code-error"' in page and 'id="count-error"' in page
        assert not esme.outbox
        assert (await _post(operator, site, f"{device}/alerts", {"csrf": ops, "code": "8F3D", "count": "2"}))[0] == 303
        assert "raised alert 8F3D 2 time(s)" in (await _get(operator, site, device))[1]
        assert len(esme.outbox) == 2
        await site.api(IS, 60)  # the queued alerts go out with the next exchange: one delivered, one suppressed
        assert "throttling: 1 suppressed" in (await _get(owner, site, "/ui/alerts"))[1]
        before = dcc.premises.clock.now()
        status, page = await _post(operator, site, "/ui/clock", {"csrf": ops, "seconds": "-5"})
        assert status == 400 and 'id="seconds-error"' in page
        assert (await _post(operator, site, "/ui/clock", {"csrf": ops, "seconds": "61"}))[0] == 303
        assert dcc.premises.clock.now() == before + 61
        assert (await _post(operator, site, f"{device}/alerts", {"csrf": ops, "code": "8F3D", "count": "1"}))[0] == 303
        await site.api(IS, 61)
        assert "1 suppressed" in (await _get(owner, site, "/ui/alerts"))[1]

    run(dcc, scenario)


def test_lab_stimuli_are_refused_on_journaled_premises(dcc: EmbeddedDcc, monkeypatch: pytest.MonkeyPatch) -> None:
    from proving.webui.actions import raise_alerts, stimuli_refusal

    monkeypatch.setattr(dcc.premises, "journal", object(), raising=False)  # as PersistentPremises (serve --state)
    assert "journal" in (stimuli_refusal(dcc) or "")
    with pytest.raises(ValueError, match="journal"):
        raise_alerts(dcc, ESME, 0x8F3D, 1)

    async def scenario(site: Site) -> None:
        operator = await site.login(OPERATOR)
        device = f"/ui/devices/{eui_str(ESME)}"
        page = (await _get(operator, site, device))[1]
        assert "Raise alerts" not in page and "Lab stimuli are off" in page
        ops = await site.csrf(operator, device)
        status, page = await _post(operator, site, f"{device}/alerts", {"csrf": ops, "code": "8F3D", "count": "1"})
        assert status == 409 and 'id="stimuli-error"' in page
        assert (await _post(operator, site, "/ui/clock", {"csrf": ops, "seconds": "60"}))[0] == 409
        assert not dcc.premises.devices[ESME].device.outbox

    run(dcc, scenario)


def test_serve_reads_the_alert_storm_throttle_from_its_options(tmp_path: Path) -> None:
    import click

    from smetsim.serve_cli import storm_config

    assert storm_config(None, None) == StormConfig()
    config = tmp_path / "lab.toml"
    config.write_text('[alert_storm]\nwindow = 120\nthreshold = 3\nkey = "device"\nexclusions = ["8F75", "8F3D"]\n')
    loaded = storm_config(str(config), None)
    assert (loaded.window, loaded.threshold, loaded.key, loaded.exclusions) == (120, 3, "device", {0x8F75, 0x8F3D})
    both = storm_config(str(config), "1/60")
    assert (both.window, both.threshold, both.key) == (60, 1, "device")
    for bad in ("1", "0/60", "x/60", "1/-5"):
        with pytest.raises(click.BadParameter, match="THRESHOLD/WINDOW"):
            storm_config(None, bad)
    config.write_text("[alert_storm]\nwindow = 60\nthresold = 2\n")
    with pytest.raises(click.BadParameter, match="thresold"):
        storm_config(str(config), None)
    config.write_text("[alert_strom]\nwindow = 60\n")
    with pytest.raises(click.BadParameter, match="unknown table"):
        storm_config(str(config), None)
