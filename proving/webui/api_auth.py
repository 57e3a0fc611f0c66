"""API-key authentication for the DUIS web services (``/api/...``) and the SMKI search (``/smki/...``).

The key comes in ``X-API-Key`` (or ``Authorization: Bearer KEY``); browser cookies are never
accepted here.  A service request must be originated by the key's own User ID: a User
cannot submit in another User's name, a User key never passes as a PP identity, and the
DCC operator's key submits nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from proving.eui import eui_str

from .auth import Account, KeyRing

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
GUARDED = ("/api/", "/smki/")
REQUEST_ID = re.compile(rb"<(?:[\w.-]+:)?RequestID>\s*([0-9A-Fa-f-]+):[0-9A-Fa-f-]+:\d+\s*</")
ACCOUNT_KEY: Any = (web.RequestKey("smetsim_api_account", Account) if hasattr(web, "RequestKey")
                    else "smetsim_api_account")


def presented_key(request: web.Request) -> str:
    key = request.headers.get("X-API-Key", "")
    auth = request.headers.get("Authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:]
    return key.strip()


def _originator(body: bytes) -> str | None:
    match = REQUEST_ID.search(body[:65536])
    if match is None:
        return None
    try:
        return eui_str(match.group(1).decode())
    except ValueError:
        return None


def api_key_middleware(keyring: KeyRing) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """The middleware guarding :data:`GUARDED` paths (see the module text)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(GUARDED):
            return await handler(request)
        account: Account | None = keyring.authenticate(presented_key(request))
        if account is None:
            raise web.HTTPUnauthorized(text="an API key is required (X-API-Key)\n",
                                       headers={"WWW-Authenticate": 'Bearer realm="smetsim"'})
        if request.method == "POST" and request.path.startswith("/api/v1/service"):
            originator = _originator(await request.read())
            if account.eui is None or originator != account.eui:
                raise web.HTTPForbidden(text=f"this API key belongs to {account.name}: it may only submit requests "
                                             f"it originates (RequestID originator {originator})\n")
        request[ACCOUNT_KEY] = account
        return await handler(request)

    return middleware
