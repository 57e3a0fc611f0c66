"""Helpers every page uses: the account, flash messages, redirects, device look-ups."""

from __future__ import annotations

from typing import NoReturn

from aiohttp import web

from proving.premises import PremisesDevice

from ..auth import Account
from ..forms import parse_eui
from ..render import BASE
from ..state import WebUi, session_of, ui_of

__all__ = ["BASE", "account_of", "device_entry", "flash", "redirect", "require_pp", "ui_of"]


def account_of(request: web.Request) -> Account:
    return session_of(request).account


def flash(request: web.Request, text: str, level: str = "info") -> None:
    """A message for the next page (``level``: info or error)."""
    session_of(request).flash.append((level, text))


def redirect(path: str) -> NoReturn:
    raise web.HTTPSeeOther(f"{BASE}{path}")


def require_pp(account: Account) -> None:
    """Production Proving pages are for PP identities and the DCC operator, never for Users."""
    if not (account.is_pp or account.is_operator):
        raise web.HTTPForbidden(text="Production Proving is kept apart from Users: log in with a PP identity.")


def device_entry(ui: WebUi, account: Account, eui_text: str) -> tuple[str, PremisesDevice]:
    """The premises device the account may see, else 404 (same answer whether it exists or not)."""
    eui = parse_eui(eui_text)
    if eui is None or not ui.access.sees_device(account, eui):
        raise web.HTTPNotFound()
    return eui, ui.dcc.premises.devices[bytes.fromhex(eui.replace("-", ""))]
