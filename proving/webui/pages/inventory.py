"""Premises and device inventory (SMI status), each device's logs, and the operator's lab stimuli.

The DCC operator may make a device raise alerts (e.g. an alert storm, to watch SECMP0062
throttling) and move the premises' virtual clock forward; see docs/webui.md.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gbcs.codes import describe_alert_code
from proving.eui import eui_str
from proving.premises import PremisesDevice

from ..actions import advance_clock, raise_alerts, stimuli_refusal
from ..auth import Account
from ..forms import alert_stimulus, clock_advance
from ..render import page, when
from ..state import SMI_STATUSES, WebUi
from .common import account_of, device_entry, flash, redirect, ui_of

RECENT = 50


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", inventory)
    app.router.add_get("/devices/{eui}", device)
    app.router.add_post("/devices/{eui}/alerts", device_alerts)
    app.router.add_post("/clock", clock)


def _summary(ui: WebUi, eui: str, entry: PremisesDevice) -> dict[str, Any]:
    return {"eui": eui, "type": entry.device_type, "fuel": entry.fuel, "profile": entry.device.profile.name,
            "smi": ui.smi_status(eui), "peers": len(entry.device.security.han_peers),
            "events": len(entry.device.event_log)}


def _record(ui: WebUi, eui: str) -> dict[str, Any] | None:
    """The device's SMI record (links and status history), None when the SMI does not hold it."""
    inventory = ui.dcc.frontend.inventory
    device = inventory.get(bytes.fromhex(eui.replace("-", ""))) if inventory is not None else None
    if device is None:
        return None
    history = [{"time": when(c.time), "before": c.before, "after": c.after, "cause": c.cause,
                "request_id": c.request_id or ""} for c in device.history]
    return {"chf": eui_str(device.chf) if device.chf else "", "mpxn": device.import_mpxn or "",
            "uprn": device.uprn or "", "manufacturer": device.manufacturer, "model": device.model,
            "commissioned": when(device.date_commissioned), "history": history}


def _smi_only(ui: WebUi, shown: list[str]) -> list[dict[str, str]]:
    """SMI records with no premises device here (pre-notified, deleted): the operator's view."""
    inventory = ui.dcc.frontend.inventory
    if inventory is None:
        return []
    rows = [{"eui": eui_str(d.eui), "type": d.device_type, "smi": d.status} for d in inventory.devices.values()]
    rows += [{"eui": eui_str(d.eui), "type": d.device_type, "smi": "Deleted"} for d in inventory.deleted.values()]
    return [row for row in rows if row["eui"] not in shown]


def require_operator(account: Account) -> None:
    """Lab stimuli are the DCC operator's alone."""
    if not account.is_operator:
        raise web.HTTPForbidden(text="Only the DCC operator applies lab stimuli.")


async def inventory(request: web.Request, *, status: int = 200, errors: dict[str, str] | None = None,
                    values: dict[str, str] | None = None) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    euis = ui.access.devices(account)

    def snapshot() -> tuple[list[dict[str, Any]], float, list[dict[str, str]]]:
        devices = ui.dcc.premises.devices
        others = _smi_only(ui, [eui_str(eui) for eui in devices]) if account.is_operator else []
        return ([_summary(ui, eui, devices[bytes.fromhex(eui.replace("-", ""))]) for eui in euis],
                ui.dcc.premises.clock.now(), others)

    devices, now, smi_only = await ui.worker.run(snapshot)
    return page(request, "inventory.html", status=status, title="Inventory", devices=devices, smi_only=smi_only,
                statuses=SMI_STATUSES, clock=when(now), stimuli=stimuli_refusal(ui.dcc), errors=errors or {},
                values=values or {"seconds": "60"})


def _log(entries: list[Any]) -> list[dict[str, str]]:
    return [{"time": when(e.time), "code": f"{e.code:04X}" if e.code else "",
             "meaning": (describe_alert_code(e.code) or "") if e.code else "", "detail": e.detail} for e in entries]


async def device(request: web.Request, *, status: int = 200, errors: dict[str, str] | None = None,
                 values: dict[str, str] | None = None) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    eui, entry = device_entry(ui, account, request.match_info["eui"])

    def snapshot() -> dict[str, Any]:
        dev = entry.device
        peers = [{"eui": eui_str(peer), "kind": info.kind} for peer, info in dev.security.han_peers.items()]
        chf_log = None
        if entry.device_type == "CHF" and getattr(dev, "_device_log", None) is not None:
            chf_log = [{"eui": eui_str(e.eui), "type": e.device_type, "key": "established" if e.link_key else
                        "install code" if e.install_key else "none"} for e in dev.device_log.entries()]
        return {"summary": _summary(ui, eui, entry), "smi": _record(ui, eui), "peers": peers, "chf_log": chf_log,
                "events": _log(dev.event_log.entries()), "security": _log(dev.security_log.entries())}

    data = await ui.worker.run(snapshot)
    records = ui.access.visible(account, ui.dcc.audit.by_device(eui))[-RECENT:]
    return page(request, "device.html", status=status, title=f"Device {eui}", records=records,
                stimuli=stimuli_refusal(ui.dcc), errors=errors or {}, values=values or {"code": "8F3D", "count": "3"},
                **data)


def _form_values(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}


async def device_alerts(request: web.Request) -> web.StreamResponse:
    """The operator makes a device raise an alert code a number of times (a lab stimulus)."""
    ui, account = ui_of(request), account_of(request)
    require_operator(account)
    eui, _ = device_entry(ui, account, request.match_info["eui"])
    form = await request.post()
    parsed, errors = alert_stimulus(form)
    refusal = stimuli_refusal(ui.dcc)
    if refusal:
        errors = {**errors, "stimuli": refusal}
    if parsed is None or errors:
        return await device(request, status=409 if refusal else 400, errors=errors, values=_form_values(form))
    code, count = parsed
    sent = await ui.worker.run(lambda: raise_alerts(ui.dcc, bytes.fromhex(eui.replace("-", "")), code, count))
    if sent:
        flash(request, f"{eui} raised alert {code:04X} {sent} time(s); the alerts go out with the next exchange "
                       "with the premises, through alert-storm throttling, to that request's originator.")
    else:
        flash(request, f"{eui} logged event {code:04X} {count} time(s) but sent no alert: its firmware profile "
                       "does not send that alert code.", "error")
    redirect(f"/devices/{eui}")


async def clock(request: web.Request) -> web.StreamResponse:
    """The operator moves the premises' virtual clock forward (a lab stimulus)."""
    ui, account = ui_of(request), account_of(request)
    require_operator(account)
    form = await request.post()
    seconds, errors = clock_advance(form)
    refusal = stimuli_refusal(ui.dcc)
    if refusal:
        errors = {**errors, "stimuli": refusal}
    if seconds is None or errors:
        return await inventory(request, status=409 if refusal else 400, errors=errors, values=_form_values(form))
    now = await ui.worker.run(lambda: advance_clock(ui.dcc, seconds))
    flash(request, f"Virtual clock moved forward {seconds:g} s to {when(now)} UTC.")
    redirect("/")
