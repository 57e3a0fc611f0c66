"""Server-side rendering with Jinja2 (autoescaped templates in ``templates/``)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import jinja2
from aiohttp import web

from .state import SESSION_KEY

BASE = "/ui"


def when(timestamp: float | None) -> str:
    """A POSIX time as UTC ``YYYY-MM-DD HH:MM:SS``."""
    if timestamp is None:
        return ""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("proving.webui", "templates"),
                             autoescape=jinja2.select_autoescape(("html",)), trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["when"] = when
    env.globals["base"] = BASE
    return env


def render_text(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def page(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    """A full page for the logged-in account (or the login page), with pending flash messages."""
    session = request.get(SESSION_KEY)
    flash = []
    if session is not None:
        flash, session.flash = session.flash, []
    context.setdefault("errors", {})
    context.setdefault("values", {})
    html = render_text(template, session=session, account=session.account if session else None,
                       csrf=session.csrf if session else "", flash=flash, path=request.path, **context)
    return web.Response(text=html, content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store"})
