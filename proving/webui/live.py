"""Live updates over server-sent events: new audit records (and alerts) as they are recorded.

``GET /ui/events`` streams ``event: audit`` messages (``id`` = the record's arrival number,
so a reconnecting browser resumes with Last-Event-ID) whose data is JSON with the rendered
table rows; alerts also come as ``event: alert``.  Only records the account may see are sent.
The stream polls the audit trail's head (a counter) a few times a second and ends when the
session does or the server shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import web

from proving.audit import AuditRecord

from .auth import SESSION_COOKIE
from .render import BASE, render_text
from .state import UI_KEY, WebUi, session_of
from .views import alert_view

STOP_KEY = web.AppKey("smetsim_webui_stop", asyncio.Event)
POLL_SECONDS = 0.25
PING_SECONDS = 15.0


def add_routes(app: web.Application) -> None:
    app.router.add_get("/events", events)
    app.on_startup.append(_start)


async def _start(app: web.Application) -> None:
    app[STOP_KEY] = asyncio.Event()


async def stop_streams(app: web.Application) -> None:
    """Let open streams finish (on shutdown), so the server does not wait for them."""
    if STOP_KEY in app:
        app[STOP_KEY].set()


def _start_after(request: web.Request, head: int) -> int:
    for value in (request.headers.get("Last-Event-ID"), request.query.get("after")):
        if value and value.isdigit():
            return min(int(value), head)
    return head


async def events(request: web.Request) -> web.StreamResponse:
    ui = request.config_dict[UI_KEY]
    account = session_of(request).account
    token = request.cookies.get(SESSION_COOKIE)
    stop = request.app[STOP_KEY]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    await response.write(b"retry: 2000\n\n")
    last = _start_after(request, len(ui.dcc.audit))
    idle = 0.0
    with contextlib.suppress(ConnectionResetError, asyncio.CancelledError):
        while not stop.is_set() and ui.sessions.get(token) is not None:
            head = len(ui.dcc.audit)
            for seq in range(last + 1, head + 1):
                record = ui.dcc.audit.get(seq)
                if record is not None and ui.access.sees_record(account, record):
                    await response.write(_message(ui, record))
                    idle = 0.0
            last = head
            if idle >= PING_SECONDS:
                await response.write(b": ping\n\n")
                idle = 0.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
            idle += POLL_SECONDS
    return response


def _message(ui: WebUi, record: AuditRecord) -> bytes:
    data = {"seq": record.seq, "kind": record.kind, "request": record.correlates_to or record.request_id,
            "row": render_text("_audit_row.html", r=record, base=BASE)}
    out = f"id: {record.seq}\nevent: audit\ndata: {json.dumps(data)}\n\n"
    if record.kind == "alert":
        alert = {"seq": record.seq, "row": render_text("_alert_row.html", a=alert_view(ui.dcc.audit, record))}
        out += f"event: alert\ndata: {json.dumps(alert)}\n\n"
    return out.encode()
