"""The Self Service Interface: a server-rendered web UI over the embedded DCC (see docs/webui.md).

* :func:`webui_app` — the UI application (mount at ``/ui``);
* :func:`secure_app` — DuisHttpApi's application behind API keys, with the UI mounted, as ``smetsim serve`` runs it;
* :class:`KeyRing` — API keys per User ID (hashed).
"""

from __future__ import annotations

from .app import secure_app, webui_app
from .auth import Account, KeyRing

__all__ = ["Account", "KeyRing", "secure_app", "webui_app"]
