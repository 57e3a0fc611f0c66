"""Alerts with their SECMP0062 throttling metadata, and the current throttle state per device."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from proving.alert_storm import format_alert_code

from ..render import page, render_text
from ..state import WebUi
from ..views import alert_view, throttle_rows
from .common import account_of, ui_of

SHOWN = 200


def add_routes(app: web.Application) -> None:
    app.router.add_get("/alerts", alerts)
    app.router.add_get("/alerts/throttle", throttle_fragment)


async def _throttle(ui: WebUi, devices: list[str], seen: set[tuple[str, str]]) -> dict[str, Any]:
    policy = ui.dcc.storm

    def snapshot() -> dict[str, Any]:
        return {"rows": throttle_rows(policy, devices, seen), "stats": policy.stats(), "config": policy.config,
                "exclusions": sorted(format_alert_code(c) for c in policy.exclusions)}

    return await ui.worker.run(snapshot)


def _alert_records(request: web.Request) -> tuple[list[Any], list[str], set[tuple[str, str]]]:
    ui, account = ui_of(request), account_of(request)
    records = [r for r in ui.dcc.audit.records() if r.kind == "alert"]
    records = ui.access.visible(account, records)[-SHOWN:]
    devices = ui.access.devices(account)
    seen = {(r.originator, r.alert_code) for r in records
            if r.message_type == "DeviceAlertMessage" and r.originator and r.alert_code}
    return records, devices, seen


async def alerts(request: web.Request) -> web.StreamResponse:
    ui = ui_of(request)
    records, devices, seen = _alert_records(request)
    views = [alert_view(ui.dcc.audit, r) for r in records]
    throttle = await _throttle(ui, devices, seen)
    return page(request, "alerts.html", title="Alerts", alerts=views, throttle=throttle, head=len(ui.dcc.audit))


async def throttle_fragment(request: web.Request) -> web.StreamResponse:
    ui = ui_of(request)
    _, devices, seen = _alert_records(request)
    throttle = await _throttle(ui, devices, seen)
    return web.Response(text=render_text("_throttle.html", throttle=throttle), content_type="text/html",
                        headers={"Cache-Control": "no-store"})
