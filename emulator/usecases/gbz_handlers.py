"""The table of cluster-specific command handlers (filled by the gbz_* use-case modules).

A handler takes ``(device, incoming, component, fields)`` and returns a
:class:`~.gbz_frame.ZclResult` (a specific response), a ZCL status (answered with a
Default Response) or None (success).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..security import Incoming
    from ..zigbee import ZigbeeDevice

Handler = Callable[["ZigbeeDevice", "Incoming", dict[str, Any], dict[str, Any]], Any]
C2S, S2C = 0, 1
HANDLERS: dict[tuple[int, int, int], Handler] = {}


def on(cluster: int, direction: int, *commands: int) -> Callable[[Handler], Handler]:
    """Register the decorated handler for cluster commands received in ``direction``."""

    def register(handler: Handler) -> Handler:
        for command in commands:
            HANDLERS[(cluster, direction, command)] = handler
        return handler

    return register
