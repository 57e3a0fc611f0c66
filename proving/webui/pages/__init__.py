"""The pages of the Self Service Interface, one module per area."""

from __future__ import annotations

from aiohttp import web

from . import alerts, audit, g6, inventory, pp, send


def add_routes(app: web.Application) -> None:
    for module in (inventory, audit, alerts, g6, pp, send):
        module.add_routes(app)
