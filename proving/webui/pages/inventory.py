"""Premises and device inventory (SMI status) and each device's logs."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gbcs.codes import describe_alert_code
from proving.eui import eui_str
from proving.premises import PremisesDevice

from ..render import page, when
from ..state import SMI_STATUSES, WebUi
from .common import account_of, device_entry, ui_of

RECENT = 50


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", inventory)
    app.router.add_get("/devices/{eui}", device)


def _summary(ui: WebUi, eui: str, entry: PremisesDevice) -> dict[str, Any]:
    return {"eui": eui, "type": entry.device_type, "fuel": entry.fuel, "profile": entry.device.profile.name,
            "smi": ui.smi_status(eui), "peers": len(entry.device.security.han_peers),
            "events": len(entry.device.event_log)}


async def inventory(request: web.Request) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    euis = ui.access.devices(account)

    def snapshot() -> tuple[list[dict[str, Any]], float]:
        devices = ui.dcc.premises.devices
        return ([_summary(ui, eui, devices[bytes.fromhex(eui.replace("-", ""))]) for eui in euis],
                ui.dcc.premises.clock.now())

    devices, now = await ui.worker.run(snapshot)
    return page(request, "inventory.html", title="Inventory", devices=devices, statuses=SMI_STATUSES,
                clock=when(now))


def _log(entries: list[Any]) -> list[dict[str, str]]:
    return [{"time": when(e.time), "code": f"{e.code:04X}" if e.code else "",
             "meaning": (describe_alert_code(e.code) or "") if e.code else "", "detail": e.detail} for e in entries]


async def device(request: web.Request) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    eui, entry = device_entry(ui, account, request.match_info["eui"])

    def snapshot() -> dict[str, Any]:
        dev = entry.device
        peers = [{"eui": eui_str(peer), "kind": info.kind} for peer, info in dev.security.han_peers.items()]
        chf_log = None
        if entry.device_type == "CHF" and getattr(dev, "_device_log", None) is not None:
            chf_log = [{"eui": eui_str(e.eui), "type": e.device_type, "key": "established" if e.link_key else
                        "install code" if e.install_key else "none"} for e in dev.device_log.entries()]
        return {"summary": _summary(ui, eui, entry), "peers": peers, "chf_log": chf_log,
                "events": _log(dev.event_log.entries()), "security": _log(dev.security_log.entries())}

    data = await ui.worker.run(snapshot)
    records = ui.access.visible(account, ui.dcc.audit.by_device(eui))[-RECENT:]
    return page(request, "device.html", title=f"Device {eui}", records=records, **data)
