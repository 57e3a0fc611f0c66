"""Send a service request as the logged-in PP identity: built, signed with its xmlSign key, submitted.

Only PP logins get the form (the UI holds PP key material, never a User's): Users sign
their own requests and submit them to ``/api/v1/service*`` with their API key.  The form
offers the read requests (empty bodies) the PP role may send to its devices.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from lxml import etree

from proving import duis
from proving.catalogue import Srv, catalogue, eligible
from proving.client import PpClient, Sent
from proving.duis.namespaces import sr
from proving.identities import PP_USERS, PpUser

from ..auth import Account
from ..forms import parse_eui, text
from ..render import page
from ..state import WebUi
from .common import account_of, flash, redirect, ui_of


def add_routes(app: web.Application) -> None:
    app.router.add_get("/send", form)
    app.router.add_post("/send", submit)


def pp_user(account: Account) -> PpUser:
    """The PP identity the account signs as (PP logins only)."""
    for user in PP_USERS:
        if account.is_pp and duis.normalise_eui(user.eui) == account.eui:
            return user
    raise web.HTTPForbidden(text="Only a Production Proving login signs requests here; Users submit their own "
                                 "signed requests to /api/v1/serviceS|T|D with their API key.")


def _device_types(ui: WebUi, devices: list[str]) -> dict[str, str]:
    return {eui: ui.dcc.premises.devices[bytes.fromhex(eui.replace("-", ""))].device_type for eui in devices}


def offered(role: str, device_types: set[str]) -> list[Srv]:
    """Immediate, non-critical reads ``role`` may send to one of ``device_types``."""
    out = [s for s in catalogue().values()
           if s.name.startswith("Read") and 1 in s.command_variants and not s.critical and not s.non_device
           and eligible(s.id, role) and s.devices & device_types]
    return sorted(out, key=lambda s: tuple(int(p) for p in s.id.split(".")))


async def _form_page(request: web.Request, *, status: int = 200, errors: dict[str, str] | None = None,
                     values: dict[str, Any] | None = None) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    user = pp_user(account)
    types = _device_types(ui, ui.access.devices(account))
    srvs = offered(user.role, set(types.values()))
    return page(request, "send.html", status=status, title="Send a service request", srvs=srvs, devices=types,
                role=user.role, errors=errors or {}, values=values or {}, head=len(ui.dcc.audit))


async def form(request: web.Request) -> web.StreamResponse:
    return await _form_page(request)


def _send(ui: WebUi, user: PpUser, srv: Srv, target: bytes) -> Sent:
    if ui.client is None:
        ui.client = PpClient(ui.dcc)
    request_id = duis.RequestId(duis.normalise_eui(user.eui), duis.normalise_eui(target), 1)
    template = duis.parse_request(duis.build_request(request_id, srv.id, 1, etree.Element(sr(srv.body))))
    return ui.client.send(template, user, target)


async def submit(request: web.Request) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    user = pp_user(account)
    data = await request.post()
    types = _device_types(ui, ui.access.devices(account))
    errors: dict[str, str] = {}
    target = parse_eui(text(data, "target", 64))
    if target not in types:
        errors["target"] = "Choose one of your devices."
    by_id = {s.id: s for s in offered(user.role, set(types.values()))}
    srv = by_id.get(text(data, "srv", 16))
    if srv is None:
        errors["srv"] = "Choose a listed Service Reference Variant."
    elif target in types and types[target] not in srv.devices:
        errors["srv"] = f"SRV {srv.id} does not serve a {types[target]}; choose another device or SRV."
    wants_json = "application/json" in request.headers.get("Accept", "")
    if errors or srv is None or target is None:
        if wants_json:
            return web.json_response({"errors": errors}, status=400)
        return await _form_page(request, status=400, errors=errors, values=dict(data))
    sent = await ui.worker.run(lambda: _send(ui, user, srv, bytes.fromhex(target.replace("-", ""))))
    ui.worker.deliver(sent.responses[1:])
    first = sent.exchanges[0] if sent.exchanges else None
    request_id = str(first.request.request_id) if first and first.request else ""
    summary = {"request_id": request_id, "code": first.code if first else None, "outcome": sent.outcome,
               "error": sent.error, "url": f"/ui/requests/{request_id}"}
    if wants_json:
        return web.json_response(summary)
    flash(request, f"Sent {srv.id} to {target}: {summary['code']} then {sent.outcome}.")
    redirect(f"/requests/{request_id}")
