"""The dispatcher: message code (or payload type) to the use-case handler that executes it.

Use-case modules (emulator/usecases/<family>.py) register their handlers with
:func:`handles`; a device asks :func:`find` for the handler of a command.  A handler for
specific message codes wins over a device kind's handler for a whole payload type (such as
the generic COSEM executor for DLMS access-requests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .device import Device, Reply
    from .profiles import Profile
    from .security import Incoming

Handler = Callable[["Device", "Incoming"], "Reply | None"]

_by_code: dict[tuple[str, int], Handler] = {}
_by_payload: dict[tuple[str, str], Handler] = {}
_loaded = False


def handles(*, kinds: Iterable[str], codes: Iterable[int] = (), payload: str | None = None) -> Callable[[Any], Any]:
    """Register the decorated function for device ``kinds`` and message ``codes`` or a ``payload`` type."""
    kinds = tuple(kinds)
    codes = tuple(codes)

    def register(handler: Handler) -> Handler:
        for kind in kinds:
            for code in codes:
                key = (kind, code)
                if key in _by_code and _by_code[key] is not handler:
                    raise ValueError(f"two handlers for {kind} message code 0x{code:04X}")
                _by_code[key] = handler
            if payload is not None:
                _by_payload[(kind, payload)] = handler
        return handler

    return register


def find(kind: str, code: int, payload_type: str) -> Handler | None:
    """The handler of a command for a device kind, or None when nothing implements it."""
    _load()
    handler = _by_code.get((kind, code))
    if handler is None:
        handler = _by_payload.get((kind, payload_type))
    return handler


def implements(profile: Profile, message_code: int, payload_type: str) -> bool:
    """True when a device of ``profile`` supports the use case and something executes it."""
    return profile.supports(message_code) and find(profile.dlms_kind, message_code, payload_type) is not None


def registered_codes(kind: str) -> list[int]:
    """The message codes with a specific handler for ``kind``."""
    _load()
    return sorted(code for k, code in _by_code if k == kind)


def _load() -> None:
    """Import the use-case modules once (they register themselves)."""
    global _loaded
    if not _loaded:
        _loaded = True
        from . import usecases  # noqa: F401
