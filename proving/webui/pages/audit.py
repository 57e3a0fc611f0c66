"""The service audit trail: search, one entry with its decoded GBCS, and everything about one request."""

from __future__ import annotations

import base64
import binascii

from aiohttp import web
from lxml import etree

from proving.audit import AuditRecord

from ..decode import gbcs_tree, pretty_xml
from ..forms import AuditQuery, audit_query
from ..render import page
from .common import account_of, ui_of

SHOWN = 500


def add_routes(app: web.Application) -> None:
    app.router.add_get("/audit", trail)
    app.router.add_get("/audit/{seq:\\d+}", entry)
    app.router.add_get("/requests/{request_id}", request_view)


def _matches(record: AuditRecord, query: AuditQuery) -> bool:
    if query.srv and record.srv != query.srv:
        return False
    if query.kind and record.kind != query.kind:
        return False
    if query.since is not None and record.recorded_at < query.since:
        return False
    if query.until is not None and record.recorded_at > query.until:
        return False
    return not (query.out_of_sequence and not record.out_of_sequence)


async def trail(request: web.Request) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    query, errors = audit_query(request.query)
    audit = ui.dcc.audit
    records: list[AuditRecord] = []
    if query is not None:
        if query.request_id:
            base = audit.by_request(query.request_id)
        elif query.device:
            base = audit.by_device(query.device)
        else:
            base = audit.records()
        if query.request_id and query.device:
            base = [r for r in base if query.device in (r.originator, r.target)]
        records = [r for r in ui.access.visible(account, base) if _matches(r, query)]
    live = query is not None and query.empty
    return page(request, "audit.html", title="Audit trail", records=records[-SHOWN:], total=len(records),
                shown=SHOWN, errors=errors, values=dict(request.query), live=live, head=len(audit))


def _embedded_gbcs(document: bytes | None) -> bytes | None:
    """The GBCSPayload inside a DUIS document (pre-commands, signed pre-commands), when there is one."""
    if not document:
        return None
    try:
        root = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    for element in root.iter("{*}GBCSPayload"):
        try:
            return base64.b64decode((element.text or "").strip(), validate=True) or None
        except (binascii.Error, ValueError):
            return None
    return None


async def entry(request: web.Request) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    record = ui.dcc.audit.get(int(request.match_info["seq"]))
    if record is None or not ui.access.sees_record(account, record):
        raise web.HTTPNotFound()
    gbcs, document = ui.dcc.audit.payloads(record.seq)
    gbcs = gbcs or _embedded_gbcs(document)
    tree = gbcs_tree(gbcs, ui.dcc.keystore, f"audit entry {record.seq}") if gbcs else None
    return page(request, "audit_entry.html", title=f"Audit entry {record.seq}", r=record, tree=tree,
                gbcs_hex=gbcs.hex().upper() if gbcs else None, xml=pretty_xml(document) if document else None,
                extra=record.extra_data())


async def request_view(request: web.Request) -> web.StreamResponse:
    ui, account = ui_of(request), account_of(request)
    request_id = request.match_info["request_id"].strip().upper()
    records = ui.access.visible(account, ui.dcc.audit.by_request(request_id))
    if not records or not ui.access.owns_request(account, request_id):
        raise web.HTTPNotFound()
    return page(request, "request.html", title=f"Request {request_id}", request_id=request_id, records=records,
                head=len(ui.dcc.audit))
