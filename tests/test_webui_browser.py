"""The Self Service Interface in headless Chromium (Playwright), against a real server on loopback.

The server is the application ``smetsim serve`` runs (:func:`proving.webui.secure_app`: the DUIS
web services behind API keys with the UI at /ui), started in this process on 127.0.0.1 so the
test can stage device alerts.  One screenshot per page goes to $SMETSIM_ARTIFACTS (default: a
temporary directory), never into the repository.  Needs the Debian ``chromium`` package and the
``playwright`` Python package (no ``playwright install``); skipped with the reason otherwise.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
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

CHROMIUM = os.environ.get("SMETSIM_CHROMIUM", "/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set SMETSIM_CHROMIUM)",
                allow_module_level=True)

ESME = eui_str(bytes.fromhex(DEFAULT_DEVICES[0][0]))
IS_ID, GS_ID = eui_str(user("IS").eui), eui_str(user("GS").eui)
KEYS = {IS_ID: "browser-is-key-0123456789", GS_ID: "browser-gs-key-0123456789", "DCC": "browser-operator-key-012345"}


class LiveServer:
    """An aiohttp application served on 127.0.0.1 (a free port) from a thread of its own."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app, shutdown_timeout=5)
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="webui-server", daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = self.runner.addresses[0][1]
        self._ready.set()
        self.loop.run_forever()

    def __enter__(self) -> LiveServer:
        self._thread.start()
        assert self._ready.wait(30), "the server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)
        self.loop.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("SMETSIM_ARTIFACTS")
    directory = Path(chosen) if chosen else tmp_path_factory.mktemp("webui-screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {directory}")
    return directory


@pytest.fixture
def served(corpus: Path, tmp_path: Path) -> Iterator[tuple[LiveServer, EmbeddedDcc, DuisHttpApi]]:
    dcc = embedded_dcc(tmp_path / "state", corpus / "duis" / "xsd", storm=StormConfig(window=60, threshold=1))
    dcc.approve_default_thresholds()
    for role in ("IS", "GS", "ED", "GT"):
        dcc.entry_tests.record(role, f"entry-{role}", passed=True, completed_at="2026-11-21T00:00:00Z")
    api = DuisHttpApi(dcc.frontend, dcc.keystore)
    with LiveServer(secure_app(api, dcc, KeyRing.from_plain(KEYS))) as server:
        yield server, dcc, api
    dcc.audit.close()


def on_dcc_thread(api: DuisHttpApi, action: Callable[[], Any]) -> Any:
    """Stage something in the emulated premises on the DCC's own thread (the front end is not thread-safe)."""
    executor = getattr(api, "executor", None) or api._executor  # noqa: SLF001 - the test stages device events
    return executor.submit(action).result(30)


def post_duis(server: LiveServer, dcc: EmbeddedDcc, counter: int) -> int:
    """Submit a signed 4.1.1 read as the PP import supplier through the DUIS API, with its API key."""
    pp = user("IS")
    request_id = duis.RequestId(IS_ID, ESME, counter)
    document = duis.build_request(request_id, "4.1.1", 1, etree.Element(sr("ReadInstantaneousImportRegisters")))
    key, cert = dcc.xml_signer(pp)
    request = urllib.request.Request(server.url("/api/v1/serviceS"), data=duis.to_bytes(duis.sign(document, key, cert)),
                                     headers={"X-API-Key": KEYS[IS_ID], "Content-Type": "application/xml"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 - loopback only
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_self_service_interface_end_to_end(served: tuple[LiveServer, EmbeddedDcc, DuisHttpApi],
                                               artifacts: Path) -> None:
    server, dcc, api = served
    expect = sync_api.expect
    esme = dcc.premises.devices[bytes.fromhex(ESME.replace("-", ""))].device
    shots: list[str] = []

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()

        def shot(name: str, on: Any = None) -> None:
            (on or page).screenshot(path=str(artifacts / f"{len(shots) + 1:02d}-{name}.png"), full_page=True)
            shots.append(name)

        def login(key: str) -> None:
            page.goto(server.url("/ui/"))
            page.get_by_label("API key").fill(key)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(re.compile(r"/ui/$"))

        # log in (a wrong key is refused next to the field)
        page.goto(server.url("/ui/"))
        assert page.url.endswith("/ui/login")
        shot("login")
        page.get_by_label("API key").fill("not-a-key")
        page.get_by_role("button", name="Log in").click()
        assert "not valid" in page.locator("#api_key-error").inner_text()
        shot("login-refused")
        login(KEYS[IS_ID])
        assert page.get_by_role("link", name=ESME).is_visible()
        shot("inventory")
        page.get_by_role("link", name=ESME).click()
        assert page.get_by_role("heading", name="Event log").is_visible()
        shot("device")

        # send a service request; its responses and a throttled alert arrive live
        alerts = context.new_page()
        alerts.goto(server.url("/ui/alerts"))
        alerts.wait_for_selector("[data-live-status][data-connected=yes]")
        page.goto(server.url("/ui/send"))
        page.get_by_label("Service request").select_option("4.1.1")
        page.get_by_label("Device").select_option(ESME)
        on_dcc_thread(api, lambda: [esme.raise_alert(0x8F3D) for _ in range(2)])  # one delivered, one suppressed
        page.get_by_role("button", name="Sign and send").click()
        expect(page.locator("#send-result")).to_contain_text("then I0")
        request_id = re.search(r"Sent (\S+):", page.locator("#send-result").inner_text()).group(1)
        page.locator("tbody[data-live=audit] tr").nth(2).wait_for()
        assert "I0" in page.locator("tbody[data-live=audit]").inner_text()
        shot("send-and-live-responses")
        on_dcc_thread(api, lambda: (dcc.premises.clock.advance(61), esme.raise_alert(0x8F3D)))
        page.get_by_role("button", name="Sign and send").click()
        throttled = alerts.locator("tbody[data-live=alert] tr.throttled")
        throttled.wait_for()
        assert "1 suppressed" in throttled.inner_text()
        expect(alerts.locator("#throttle")).to_contain_text("at the limit")
        shot("alerts-throttled-live", alerts)
        alerts.close()

        # find it in the audit trail; an out-of-sequence arrival is marked; the decoded GBCS view
        late = f"{IS_ID}:{ESME}:7"
        dcc.audit.append_many([
            AuditMessage("request", "UpdateImportTariff", late, srv="1.1.1", direction="in"),
            AuditMessage("response", "ResponseMessage", late, srv="1.1.1", response_code="I0", alert_code="8F66",
                         instruction=1, total_instructions=1, future_dated=True, direction="out"),
        ])
        page.goto(server.url("/ui/audit"))
        page.get_by_label("RequestID").fill(request_id)
        page.get_by_role("button", name="Search").click()
        assert "matching entries" in page.locator("main").inner_text()
        assert page.locator("tbody tr[data-request]").count() >= 3
        shot("audit-search")
        page.goto(server.url("/ui/audit"))
        assert page.locator("tr.oos").count() == 1 and "Out of sequence" in page.locator("tr.oos").inner_text()
        shot("audit-out-of-sequence")
        page.goto(server.url(f"/ui/audit?request_id={request_id}&kind=response"))
        page.locator("tbody tr", has_text="I0").first.get_by_role("link").first.click()
        assert "general-signing APDU" in page.locator("pre.tree").inner_text()
        shot("audit-entry-decoded")
        page.goto(server.url(f"/ui/requests/{request_id}"))
        shot("request")

        # G6: the owner sets thresholds (a bad rule is refused), the DCC approves; a breach is released
        page.goto(server.url("/ui/thresholds"))
        page.get_by_label("Rules").fill("4.1.1, soon, 1")
        page.get_by_role("button", name="Set thresholds").click()
        assert "Line 1" in page.locator("#rules-error").inner_text()
        shot("thresholds-refused")
        page.get_by_label("Rules").fill("4.1.1, 3600, 1")
        page.get_by_role("button", name="Set thresholds").click()
        assert "awaiting the DCC's approval" in page.get_by_role("status").inner_text()
        page.get_by_role("button", name="Log out").click()
        login(KEYS["DCC"])
        page.goto(server.url("/ui/thresholds"))
        page.get_by_role("button", name=f"Approve thresholds for {IS_ID}").click()
        assert "approved" in page.get_by_role("status").inner_text()
        shot("thresholds-approved")
        counter = int(time.time() * 1000) + 10**6  # above the send form's counters (epoch milliseconds)
        assert [post_duis(server, dcc, c) for c in (counter, counter + 1)] == [200, 200]
        [record] = dcc.anomaly.quarantined()
        page.goto(server.url("/ui/quarantine"))
        shot("quarantine")
        page.get_by_role("button", name=f"Release request {record.ref}").click()
        assert f":{counter + 1}: outcome I0" in page.get_by_role("status").inner_text()
        shot("quarantine-released")

        # Production Proving: registration data with an invalid identifier is refused, then a good upload
        page.goto(server.url("/ui/pp"))
        mpan = "001234567890" + str(mpan_check_digit("001234567890"))
        page.get_by_label("Records (CSV)").fill(f"{mpan},electricity,9001,9002,_Z,9201\n"
                                                "1612345678901,electricity,9001,9002,_Z,9201")
        page.get_by_role("button", name="Upload Registration Data").click()
        assert "real distributor ID 16" in page.locator("#records-error").inner_text()
        assert page.get_by_label("Records (CSV)").get_attribute("aria-invalid") == "true"
        shot("pp-registration-refused")
        page.get_by_label("Records (CSV)").fill(f"{mpan},electricity,9001,9002,_Z,9201")
        page.get_by_role("button", name="Upload Registration Data").click()
        assert mpan in page.locator("main").inner_text()
        shot("production-proving")

        # another User cannot reach the request by URL
        page.get_by_role("button", name="Log out").click()
        login(KEYS[GS_ID])
        response = page.goto(server.url(f"/ui/requests/{request_id}"))
        assert response is not None and response.status == 404
        shot("other-users-request-not-found")
        page.goto(server.url("/ui/audit"))
        assert request_id not in page.locator("main").inner_text()
        browser.close()

    assert len(list(artifacts.glob("*.png"))) >= len(shots) == 17
