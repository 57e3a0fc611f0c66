"""The Self Service Interface as aiohttp applications: :func:`webui_app` and :func:`secure_app`.

* :func:`webui_app` is the UI itself (mount it at ``/ui``): login with an API key, then the
  pages of :mod:`proving.webui.pages`; every page needs a session and every form a CSRF token.
* :func:`secure_app` is what ``smetsim serve`` runs: DuisHttpApi's application with the UI
  mounted at ``/ui`` in the same process and state, the UI sharing the API's DCC thread and
  outbox, and API-key authentication in front of the DUIS web services (see :mod:`.api_auth`).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from proving.embedded import EmbeddedDcc

from . import live, pages
from .access import Access
from .api_auth import api_key_middleware
from .auth import SESSION_COOKIE, KeyRing
from .render import BASE, page
from .state import SESSION_KEY, UI_KEY, RegistrationStore, WebUi
from .worker import DccWorker, worker_for_api

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC = ("/login", "/static/")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
STATIC = Path(__file__).with_name("static")


def _relative(request: web.Request) -> str:
    path = request.path
    return path[len(BASE):] if path.startswith(BASE) else path


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pages need a live session; state-changing requests need its CSRF token too."""
    ui: WebUi = request.config_dict[UI_KEY]
    relative = _relative(request)
    session = ui.sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None and not relative.startswith(PUBLIC):
        if request.method == "GET" and "text/event-stream" not in request.headers.get("Accept", ""):
            raise web.HTTPSeeOther(f"{BASE}/login")
        raise web.HTTPUnauthorized(text="log in first\n")
    if session is not None:
        request[SESSION_KEY] = session
        if request.method == "POST" and not relative.startswith(PUBLIC):
            token = (await request.post()).get("csrf")
            if not isinstance(token, str) or not hmac.compare_digest(token, session.csrf):
                raise web.HTTPForbidden(text="the form is stale or forged (CSRF token mismatch): reload the page\n")
    return await handler(request)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every UI response: a strict Content-Security-Policy (no inline script) and friends."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403 and 404 as accessible pages; a 404 reads the same whether a thing is absent or not yours."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status not in (403, 404) or request.get(SESSION_KEY) is None:
            raise
        message = "Not found, or not yours to see."
        if exc.status == 403 and exc.text and not exc.text.startswith("403"):
            message = exc.text.strip()
        return page(request, "error.html", status=exc.status, title=exc.reason, message=message)


async def login_form(request: web.Request) -> web.StreamResponse:
    return page(request, "login.html", title="Log in")


async def login(request: web.Request) -> web.StreamResponse:
    ui: WebUi = request.config_dict[UI_KEY]
    form = await request.post()
    key = form.get("api_key", "")
    account = ui.keyring.authenticate(key.strip() if isinstance(key, str) else "")
    if account is None:
        errors = {"api_key": "That API key is not valid. Paste the key issued for your User ID."}
        return page(request, "login.html", status=401, title="Log in", errors=errors)
    response = web.Response(status=303, headers={"Location": f"{BASE}/"})
    response.set_cookie(SESSION_COOKIE, ui.sessions.open(account), httponly=True, samesite="Strict", path="/",
                        secure=request.secure)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    ui: WebUi = request.config_dict[UI_KEY]
    ui.sessions.close(request.cookies.get(SESSION_COOKIE))
    response = web.Response(status=303, headers={"Location": f"{BASE}/login"})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def webui_app(dcc: EmbeddedDcc, keyring: KeyRing, *, worker: DccWorker | None = None,
              reports_dir: str | Path | None = None, registration_file: str | Path | None = None,
              user_devices: Mapping[str, set[str]] | None = None, smi: Mapping[str, str] | None = None
              ) -> web.Application:
    """The UI application (mount at ``/ui``).

    ``worker`` serialises DCC work (default: a thread of its own); ``reports_dir`` holds
    ``smetsim prove`` JSON reports; ``registration_file`` keeps uploaded Registration Data;
    ``user_devices`` gives non-PP Users their devices; ``smi`` overrides the SMI statuses the DCC's inventory holds.
    """
    ui = WebUi(dcc, keyring, worker or DccWorker(), Access(dcc, user_devices),
               RegistrationStore(Path(registration_file) if registration_file else None),
               Path(reports_dir) if reports_dir else None, dict(smi or {}))
    app = web.Application(middlewares=[session_middleware, error_pages])
    app[UI_KEY] = ui
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_static("/static/", STATIC, append_version=False)
    pages.add_routes(app)
    live.add_routes(app)
    app.on_shutdown.append(live.stop_streams)
    app.on_response_prepare.append(security_headers)
    if worker is None:
        app.on_cleanup.append(_close_worker)
    return app


async def _close_worker(app: web.Application) -> None:
    app[UI_KEY].worker.close()


async def _to_ui(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(f"{BASE}/")


def secure_app(api: Any, dcc: EmbeddedDcc, keyring: KeyRing, **options: Any) -> web.Application:
    """DuisHttpApi's application behind API keys, with the UI at ``/ui`` (see the module text)."""
    app = api.app()
    app.middlewares.append(api_key_middleware(keyring))
    app.router.add_get("/", _to_ui)
    app.add_subapp(BASE, webui_app(dcc, keyring, worker=worker_for_api(api), **options))
    return app
