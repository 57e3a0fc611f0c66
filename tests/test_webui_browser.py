"""The Self Service Interface in headless Chromium (Playwright), against a real ``smetsim serve`` on loopback.

The server is a subprocess, ``python -m smetsim.cli serve`` on 127.0.0.1 (a free port), with a
small alert-storm throttle (``--alert-storm 1/60``).  The test reads the API keys and the key
store directory from its standard error, as a lab engineer would, and drives everything else
through the product's own interfaces: the web UI (the DCC operator's lab stimuli make the
meter raise alerts and move the virtual clock) and the DUIS API with an API key.

One screenshot per page goes to $SMETSIM_ARTIFACTS (default: a temporary directory), never
into the repository.  Needs the Debian ``chromium`` package and the ``playwright`` Python
package (no ``playwright install``); skipped with the reason otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from proving import duis
from proving.duis.namespaces import sr
from proving.eui import eui_str
from proving.identities import user
from proving.premises import DEFAULT_DEVICES
from proving.registration import mpan_check_digit

CHROMIUM = os.environ.get("SMETSIM_CHROMIUM", "/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set SMETSIM_CHROMIUM)",
                allow_module_level=True)

ESME, GSME = (eui_str(bytes.fromhex(DEFAULT_DEVICES[i][0])) for i in (0, 1))
IS_ID, GS_ID = eui_str(user("IS").eui), eui_str(user("GS").eui)
START_TIMEOUT = 60.0
KEY_LINE = re.compile(r"^API key for (\S+) \(shown once\): (\S+)$", re.M)
KEYS_DIR_LINE = re.compile(r"; keys in (.+)$", re.M)


@dataclass
class Served:
    """A running ``smetsim serve``: its base URL, the API keys it printed, where its key store is."""

    base: str
    keys: dict[str, str]
    keys_dir: Path
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("SMETSIM_ARTIFACTS")
    directory = Path(chosen) if chosen else tmp_path_factory.mktemp("webui-screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {directory}")
    return directory


@pytest.fixture
def served(corpus: Path, tmp_path: Path) -> Iterator[Served]:
    """``smetsim serve`` in a subprocess on loopback; its keys come from its standard error."""
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "smetsim.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--xsd", str(corpus / "duis" / "xsd"), "--api-keys", str(tmp_path / "api-keys.json"),
               "--alert-storm", "1/60"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink, cwd=tmp_path)  # noqa: S603
    try:
        deadline = time.monotonic() + START_TIMEOUT
        text = ""
        while "web UI on http://" not in text:
            if process.poll() is not None:
                pytest.fail(f"smetsim serve exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"smetsim serve did not start in {START_TIMEOUT:g} s:\n{log.read_text()}")
            time.sleep(0.1)
            text = log.read_text(errors="replace")
        keys = {identity: key for identity, key in KEY_LINE.findall(text)}
        found = KEYS_DIR_LINE.search(text)
        assert found and {IS_ID, GS_ID, "DCC"} <= set(keys), text
        yield Served(f"http://127.0.0.1:{port}", keys, Path(found.group(1).strip()), log)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def post_duis(served: Served, counter: int, api_key: str) -> int:
    """Submit a signed 4.1.1 read as the PP import supplier to /api/v1/serviceS with ``api_key``."""
    pp = user("IS")
    stem = served.keys_dir / f"{pp.eui.hex()}-xml-ds"
    key, cert = duis.load_private_key(stem.with_suffix(".key")), duis.load_certificate(stem.with_suffix(".pem"))
    document = duis.build_request(duis.RequestId(IS_ID, ESME, counter), "4.1.1", 1,
                                  etree.Element(sr("ReadInstantaneousImportRegisters")))
    request = urllib.request.Request(served.url("/api/v1/serviceS"), data=duis.to_bytes(duis.sign(document, key, cert)),
                                     headers={"X-API-Key": api_key, "Content-Type": "application/xml"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 - loopback only
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_self_service_interface_end_to_end(served: Served, artifacts: Path) -> None:
    expect = sync_api.expect
    keys = served.keys
    shots: list[str] = []

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        supplier = browser.new_context(viewport={"width": 1360, "height": 900})  # the PP import supplier (IS)
        operator = browser.new_context(viewport={"width": 1360, "height": 900})  # the DCC operator
        for context in (supplier, operator):
            context.set_default_timeout(15_000)
        page, dcc = supplier.new_page(), operator.new_page()

        def shot(name: str, on: Any = None) -> None:
            (on or page).screenshot(path=str(artifacts / f"{len(shots) + 1:02d}-{name}.png"), full_page=True)
            shots.append(name)

        def login(on: Any, key: str) -> None:
            on.goto(served.url("/ui/"))
            on.get_by_label("API key").fill(key)
            on.get_by_role("button", name="Log in").click()
            on.wait_for_url(re.compile(r"/ui/$"))

        def raise_alerts(count: int) -> None:
            dcc.goto(served.url(f"/ui/devices/{ESME}"))
            dcc.get_by_label("Alert code").fill("8F3D")
            dcc.get_by_label("Number of alerts").fill(str(count))
            dcc.get_by_role("button", name="Raise alerts").click()
            expect(dcc.get_by_role("status")).to_contain_text(f"raised alert 8F3D {count} time(s)")

        # log in (a wrong key is refused next to the field)
        page.goto(served.url("/ui/"))
        assert page.url.endswith("/ui/login")
        shot("login")
        page.get_by_label("API key").fill("not-a-key")
        page.get_by_role("button", name="Log in").click()
        assert "not valid" in page.locator("#api_key-error").inner_text()
        shot("login-refused")
        login(page, keys[IS_ID])
        assert page.get_by_role("link", name=ESME).is_visible()
        assert page.get_by_role("button", name="Advance the clock").count() == 0  # lab stimuli: operator only
        shot("inventory")
        page.get_by_role("link", name=ESME).click()
        assert page.get_by_role("heading", name="Event log").is_visible()
        assert page.get_by_role("button", name="Raise alerts").count() == 0
        shot("device")

        # the operator makes the meter raise an alert storm: two alerts, the limit is one per 60 s
        login(dcc, keys["DCC"])
        raise_alerts(2)
        assert "8F3D" in dcc.get_by_role("region", name="Event log").inner_text()
        shot("device-lab-stimuli", dcc)

        # send a service request; its responses and the alerts arrive live, one delivered, one suppressed
        alerts = supplier.new_page()
        alerts.goto(served.url("/ui/alerts"))
        alerts.wait_for_selector("[data-live-status][data-connected=yes]")
        page.goto(served.url("/ui/send"))
        page.get_by_label("Service request").select_option("4.1.1")
        page.get_by_label("Device").select_option(ESME)
        page.get_by_role("button", name="Sign and send").click()
        expect(page.locator("#send-result")).to_contain_text("then I0")
        request_id = re.search(r"Sent (\S+):", page.locator("#send-result").inner_text()).group(1)
        page.locator("tbody[data-live=audit] tr").nth(2).wait_for()
        assert "I0" in page.locator("tbody[data-live=audit]").inner_text()
        shot("send-and-live-responses")
        live_alerts = alerts.locator("tbody[data-live=alert] tr")
        live_alerts.first.wait_for()
        assert "8F3D" in live_alerts.first.inner_text() and live_alerts.count() == 1

        # a minute later (the operator moves the virtual clock) the meter raises it again: delivered,
        # carrying ThrottledAlertCount 1 for the one suppressed
        dcc.goto(served.url("/ui/"))
        dcc.get_by_label("Seconds").fill("61")
        dcc.get_by_role("button", name="Advance the clock").click()
        expect(dcc.get_by_role("status")).to_contain_text("moved forward 61 s")
        shot("inventory-clock-advanced", dcc)
        raise_alerts(1)
        page.get_by_role("button", name="Sign and send").click()
        throttled = alerts.locator("tbody[data-live=alert] tr.throttled")
        throttled.wait_for()
        assert "1 suppressed" in throttled.inner_text()
        expect(alerts.locator("#throttle")).to_contain_text("at the limit")
        shot("alerts-throttled-live", alerts)
        alerts.close()

        # find it in the audit trail; the decoded GBCS view; the request's page
        page.goto(served.url("/ui/audit"))
        page.get_by_label("RequestID").fill(request_id)
        page.get_by_role("button", name="Search").click()
        assert "matching entries" in page.locator("main").inner_text()
        assert page.locator("tbody tr[data-request]").count() >= 3
        shot("audit-search")
        page.goto(served.url(f"/ui/audit?request_id={request_id}&kind=response"))
        page.locator("tbody tr", has_text="I0").first.get_by_role("link").first.click()
        assert "general-signing APDU" in page.locator("pre.tree").inner_text()
        entry_url = page.url
        shot("audit-entry-decoded")
        page.goto(served.url(f"/ui/requests/{request_id}"))
        assert request_id in page.locator("main").inner_text()
        shot("request")

        # G6: the owner sets thresholds (a bad rule is refused), the DCC approves; a breach is released
        page.goto(served.url("/ui/thresholds"))
        page.get_by_label("Rules").fill("4.1.1, soon, 1")
        page.get_by_role("button", name="Set thresholds").click()
        assert "Line 1" in page.locator("#rules-error").inner_text()
        shot("thresholds-refused")
        page.get_by_label("Rules").fill("4.1.1, 3600, 1")
        page.get_by_role("button", name="Set thresholds").click()
        assert "awaiting the DCC's approval" in page.get_by_role("status").inner_text()
        dcc.goto(served.url("/ui/thresholds"))
        dcc.get_by_role("button", name=f"Approve thresholds for {IS_ID}").click()
        assert "approved" in dcc.get_by_role("status").inner_text()
        shot("thresholds-approved", dcc)
        counter = int(time.time() * 1000) + 10**6  # above the send form's counters (epoch milliseconds)
        assert post_duis(served, counter, keys[GS_ID]) == 403  # nobody submits in another User's name
        assert [post_duis(served, c, keys[IS_ID]) for c in range(counter, counter + 3)] == [200, 200, 200]
        dcc.goto(served.url("/ui/quarantine"))
        assert dcc.get_by_role("button", name=re.compile(r"^Release request \d+$")).count() == 2
        shot("quarantine", dcc)
        dcc.locator("tbody tr", has_text=f"{IS_ID}:{ESME}:{counter + 1}").get_by_role("button", name="Release").click()
        assert f":{counter + 1}: outcome I0" in dcc.get_by_role("status").inner_text()
        assert dcc.get_by_role("button", name=re.compile(r"^Release request \d+$")).count() == 1  # one left
        shot("quarantine-released", dcc)

        # Production Proving: registration data with an invalid identifier is refused, then a good upload
        page.goto(served.url("/ui/pp"))
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

        # another User: the first one's request and audit entry are not found by URL, and absent from lists
        page.get_by_role("button", name="Log out").click()
        login(page, keys[GS_ID])
        assert page.get_by_role("link", name=ESME).count() == 0
        response = page.goto(served.url(f"/ui/requests/{request_id}"))
        assert response is not None and response.status == 404
        shot("other-users-request-not-found")
        response = page.goto(entry_url)
        assert response is not None and response.status == 404
        page.goto(served.url("/ui/alerts"))
        assert "8F3D" not in page.locator("main").inner_text()
        page.goto(served.url("/ui/quarantine"))
        assert IS_ID not in page.locator("main").inner_text()  # the first User's request still quarantined
        page.goto(served.url("/ui/send"))  # its own traffic is listed, the first User's is not
        page.get_by_label("Device").select_option(GSME)
        page.get_by_role("button", name="Sign and send").click()
        expect(page.locator("#send-result")).to_contain_text("Sent")
        page.goto(served.url("/ui/audit"))
        assert page.locator("tbody tr[data-request]").count() >= 2
        assert IS_ID not in page.locator("main").inner_text() and GS_ID in page.locator("main").inner_text()
        shot("other-users-audit-trail")
        browser.close()

    assert {f"{i + 1:02d}-{n}.png" for i, n in enumerate(shots)} <= {p.name for p in artifacts.glob("*.png")}
    assert len(shots) == 19
