"""G6 anomaly detection: threshold profiles (set by the owner, approved by the DCC) and the quarantine."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from proving.anomaly import DCC_WIDE, ProfileError, QuarantineRecord, UnknownQuarantineRef
from proving.eui import eui_str
from proving.identities import PP_USERS

from ..actions import delete_quarantined, quarantine_record, release_quarantined
from ..auth import Account
from ..forms import quarantine_ref, text, threshold_profile
from ..render import page
from ..state import WebUi
from .common import account_of, flash, redirect, ui_of


def add_routes(app: web.Application) -> None:
    app.router.add_get("/thresholds", thresholds)
    app.router.add_post("/thresholds", set_thresholds)
    app.router.add_post("/thresholds/approve", approve)
    app.router.add_get("/quarantine", quarantine)
    app.router.add_post("/quarantine/release", release)
    app.router.add_post("/quarantine/delete", delete)


def owners(ui: WebUi, account: Account) -> list[str]:
    """Whose thresholds the account may set: its own; the operator any User's and the DCC-wide profile."""
    if not account.is_operator:
        return [account.eui] if account.eui else []
    known = [eui_str(u.eui) for u in PP_USERS]
    known += [i for i in ui.keyring.identities() if i != "DCC" and i not in known]
    return [*known, DCC_WIDE]


async def _threshold_page(request: web.Request, *, status: int = 200, errors: dict[str, str] | None = None,
                          values: dict[str, Any] | None = None) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    names = owners(ui, account)

    def snapshot() -> list[dict[str, Any]]:
        return [{"owner": o, "approved": ui.dcc.anomaly.approved(o), "proposed": ui.proposed.get(o),
                 "held": len(ui.dcc.anomaly.held(o)) if o != DCC_WIDE else 0} for o in names]

    rows = await ui.worker.run(snapshot)
    return page(request, "thresholds.html", status=status, title="G6 thresholds", rows=rows, owners=names,
                errors=errors or {}, values=values or {"owner": names[0] if names else ""})


async def thresholds(request: web.Request) -> web.StreamResponse:
    return await _threshold_page(request)


async def set_thresholds(request: web.Request) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    form = await request.post()
    parsed, errors = threshold_profile(form, owners(ui, account))
    if parsed is None:
        return await _threshold_page(request, status=400, errors=errors, values=dict(form))
    owner, profile = parsed
    await ui.worker.run(lambda: ui.dcc.anomaly.set_profile(owner, profile))
    ui.proposed[owner] = profile
    flash(request, f"Thresholds for {owner} set: awaiting the DCC's approval.")
    redirect("/thresholds")


async def approve(request: web.Request) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    if not account.is_operator:
        raise web.HTTPForbidden(text="Only the DCC approves G6 thresholds.")
    form = await request.post()
    owner = text(form, "owner", 64)
    if owner not in owners(ui, account):
        return await _threshold_page(request, status=400, errors={"approve": "Choose a listed owner."})
    try:
        done = await ui.worker.run(lambda: ui.dcc.frontend.approve_thresholds(owner) if owner != DCC_WIDE
                                   else ui.dcc.anomaly.approve(owner))
    except ProfileError as exc:
        return await _threshold_page(request, status=400, errors={"approve": f"{exc}."})
    ui.proposed.pop(owner, None)
    ui.worker.deliver([d for exchange in done if hasattr(exchange, "responses") for d in exchange.responses[1:]])
    flash(request, f"Thresholds for {owner} approved; {len(done)} held request(s) processed.")
    redirect("/thresholds")


def _mine(account: Account, record: QuarantineRecord) -> bool:
    return account.is_operator or record.request.originator.upper() == account.eui


async def _quarantine_page(request: web.Request, *, status: int = 200,
                           errors: dict[str, str] | None = None) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)

    def snapshot() -> tuple[list[QuarantineRecord], list[Any]]:
        held = [r for r in ui.dcc.anomaly.held() if account.is_operator or r.originator.upper() == account.eui]
        return [q for q in ui.dcc.anomaly.quarantined() if _mine(account, q)], held

    quarantined, held = await ui.worker.run(snapshot)
    return page(request, "quarantine.html", status=status, title="Quarantine", quarantined=quarantined,
                held=held, errors=errors or {})


async def quarantine(request: web.Request) -> web.StreamResponse:
    return await _quarantine_page(request)


async def _take(request: web.Request) -> tuple[WebUi, int] | web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    ref, errors = quarantine_ref(await request.post())
    if ref is None:
        return await _quarantine_page(request, status=400, errors=errors)
    try:
        record = await ui.worker.run(lambda: quarantine_record(ui.dcc, ref))
    except UnknownQuarantineRef:
        record = None
    if record is None or not _mine(account, record):
        return await _quarantine_page(request, status=404, errors={"ref": f"No quarantined request {ref} of yours."})
    return ui, ref


async def release(request: web.Request) -> web.StreamResponse:
    taken = await _take(request)
    if isinstance(taken, web.StreamResponse):
        return taken
    ui, ref = taken
    try:
        exchange = await ui.worker.run(lambda: release_quarantined(ui.dcc, ref))
    except (LookupError, ValueError) as exc:
        return await _quarantine_page(request, status=409, errors={"ref": str(exc)})
    ui.worker.deliver(exchange.responses[1:])
    request_id = exchange.request.request_id if exchange.request else ref
    flash(request, f"Released {request_id}: outcome {exchange.outcome}.")
    redirect("/quarantine")


async def delete(request: web.Request) -> web.StreamResponse:
    taken = await _take(request)
    if isinstance(taken, web.StreamResponse):
        return taken
    ui, ref = taken
    record = await ui.worker.run(lambda: delete_quarantined(ui.dcc, ref))
    flash(request, f"Deleted quarantined request {record.request.request_id} (QuarantineEventRef {ref}).")
    redirect("/quarantine")
