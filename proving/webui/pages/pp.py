"""Production Proving: PP IDs and signifiers, entry tests per role, Registration Data, the last reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web

from proving.registration import Fuel, generate

from ..forms import generation, registration_records, text
from ..render import page, when
from ..state import WebUi
from .common import account_of, flash, redirect, require_pp, ui_of

REPORTS = 5
RD_SHOWN = 200
MAX_UPLOAD = 1024 * 1024


def add_routes(app: web.Application) -> None:
    app.router.add_get("/pp", overview)
    app.router.add_post("/pp/registration", upload)
    app.router.add_post("/pp/registration/generate", generate_records)


def _reports(directory: Path | None) -> list[dict[str, Any]]:
    if directory is None or not directory.is_dir():
        return []
    found = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    out = []
    for path in found[:REPORTS * 4]:
        try:
            summary = json.loads(path.read_text(encoding="utf-8")).get("summary")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(summary, dict):
            out.append({"name": path.name, "time": when(path.stat().st_mtime), "summary": summary})
        if len(out) == REPORTS:
            break
    return out


def _context(ui: WebUi) -> dict[str, Any]:
    section_p = ui.dcc.frontend.section_p
    parties = section_p.parties if section_p is not None else None
    identities = []
    entry = []
    if parties is not None:
        for role in sorted(parties.roles):
            party = parties.party(role)
            identities.append({"role": str(role), "id": party.dcc_id, "signifier": party.party_signifier})
            runs = ui.dcc.entry_tests.runs(role)
            entry.append({"role": str(role), "may_send": ui.dcc.entry_tests.may_send(role), "runs": runs})
    return {"identities": identities, "entry": entry, "pp_range": str(parties.pp_range) if parties else "",
            "rdp": {str(k): v for k, v in parties.rdp_signifiers.items()} if parties else {},
            "records": ui.registration.records[-RD_SHOWN:], "record_count": len(ui.registration.records),
            "reports": _reports(ui.reports_dir), "fuels": [f.value for f in Fuel]}


async def _page(request: web.Request, *, status: int = 200, errors: dict[str, str] | None = None,
                values: dict[str, Any] | None = None) -> web.StreamResponse:
    ui = ui_of(request)
    require_pp(account_of(request))
    context = await ui.worker.run(lambda: _context(ui))
    return page(request, "pp.html", status=status, title="Production Proving", errors=errors or {},
                values=values or {"count": "10", "fuel": "electricity", "seed": "0"}, **context)


async def overview(request: web.Request) -> web.StreamResponse:
    return await _page(request)


def _rdp(ui: WebUi) -> dict[Fuel, str]:
    section_p = ui.dcc.frontend.section_p
    return dict(section_p.parties.rdp_signifiers) if section_p is not None else {}


async def upload(request: web.Request) -> web.StreamResponse:
    ui = ui_of(request)
    require_pp(account_of(request))
    form = await request.post()
    source = text(form, "records")
    upload_field = form.get("file")
    if upload_field is not None and not isinstance(upload_field, str) and getattr(upload_field, "file", None):
        raw = upload_field.file.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            return await _page(request, status=400, errors={"file": "The file is larger than 1 MiB."})
        if raw.strip():
            try:
                source = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                return await _page(request, status=400, errors={"file": "The file is not UTF-8 text (CSV)."})
    records, errors = registration_records(source, _rdp(ui))
    if records is None:
        return await _page(request, status=400, errors=errors,
                           values={"records": source, "count": "10", "fuel": "electricity", "seed": "0"})
    new = ui.registration.add(records)
    flash(request, f"Registration Data accepted: {len(records)} record(s), {new} new.")
    redirect("/pp")


async def generate_records(request: web.Request) -> web.StreamResponse:
    ui = ui_of(request)
    require_pp(account_of(request))
    form = await request.post()
    parsed, errors = generation(form)
    if parsed is None:
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
        return await _page(request, status=400, errors=errors, values=values)
    count, fuel, seed = parsed
    records = generate(count, fuel, seed=seed, rdp_signifier=_rdp(ui).get(fuel))
    new = ui.registration.add(records)
    flash(request, f"Generated {count} dummy {fuel} record(s) as the PP RDP, {new} new.")
    redirect("/pp")
