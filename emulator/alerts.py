"""Alert payloads (gbcs spec §3.1 GBCS alert body, §3.2 GBZ alert) and alert message codes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gbcs.dlms import encode_dlms
from gbcs.gbz import encode_gbz

from .cosem_classes import Node, node, structure
from .cosem_time import to_gbcs_seconds

GENERIC_CRITICAL = 0x1000  # type 1 alerts without a message code of their own
GENERIC_NON_CRITICAL = 0x1001
FUTURE_DATED_DLMS = 0x00CC
FUTURE_DATED_GBZ = 0x00CD
COMMAND_NOT_SUPPORTED = 0x0120  # ECS100
ALERT_NOT_SUPPORTED = 0x8F85
FUTURE_DATED_SUCCESS = 0x8F66
FUTURE_DATED_FAILURE = 0x8F67
# Events a device logs without sending an alert over the WAN (requirements §5.4, Aclara table).
LOG_ONLY = frozenset({0x8F43, 0x8145, 0x8F47, 0x8F48, 0x8F49, 0x8F4A, 0x8F4B, 0x8F4C})


# 0x8Fxx alerts whose use cases are non-critical, so MAC'd (gbcs spec §1.6: CS14, DBCH06-11).
NON_CRITICAL_8F = frozenset({0x8F12, 0x8F2A})


def is_critical(alert_code: int) -> bool:
    """0x8Fxx alerts are critical (signed by the device); 0x80xx / 0x81xx are not (requirements §5.4).

    Except the 0x8Fxx alerts of non-critical use cases (:data:`NON_CRITICAL_8F`), MAC'd only.
    """
    return alert_code >> 8 == 0x8F and alert_code not in NON_CRITICAL_8F


def generic_message_code(alert_code: int) -> int:
    return GENERIC_CRITICAL if is_critical(alert_code) else GENERIC_NON_CRITICAL


def invoke_id(counter: int) -> int:
    """The DLMS long-invoke-id-and-priority: 0x20 and the low 24 bits of the counter (gbcs spec §1.8)."""
    return 0x20000000 | (counter & 0xFFFFFF)


def dlms_alert(counter: int, alert_code: int, timestamp: bytes, extra: Sequence[Node] = ()) -> bytes:
    """``0F LIIAP 00 structure{alert code, timestamp octet-string(12), use-case data...}``."""
    tree = {
        "apdu": "data-notification",
        "invoke_id": invoke_id(counter),
        "date_time": None,
        "notification": structure(node("long-unsigned", alert_code), node("octet-string", timestamp.hex().upper()),
                                  *extra),
    }
    return encode_dlms(tree)


def gbz_alert(alert_code: int, timestamp: float, alert_data: dict | None = None) -> bytes:
    """``01 09 NN | alert code | UTC seconds since 2000`` with no components, or raw use-case data."""
    tree: dict = {"profile": 0x0109, "kind": "alert", "alert_code": alert_code,
                  "alert_time": to_gbcs_seconds(timestamp)}
    if alert_data is None:
        tree["components"] = []
    else:
        tree["alert_data"] = alert_data
    return encode_gbz(tree)


def instruction_reference(message_code: int, counter: int, class_id: int, obis: bytes, attribute: int) -> bytes:
    """The 19 bytes a 0x00CC alert names the executed instruction with: code, counter, class, OBIS, member."""
    return (message_code.to_bytes(2, "big") + counter.to_bytes(8, "big") + class_id.to_bytes(2, "big")
            + bytes(obis) + bytes((attribute,)))


# Alert behaviours a device's use cases configure (ECS25a/b..., GCS20): kind -> filter(device, alert code),
# registered by the use-case modules (usecases/alert_behaviour.py).
AlertFilter = Callable[[Any, int], bool]
_filters: dict[str, AlertFilter] = {}


def alert_filter(*kinds: str) -> Callable[[AlertFilter], AlertFilter]:
    """Register the decorated ``filter(device, alert code) -> sent?`` for device ``kinds``."""

    def register(fn: AlertFilter) -> AlertFilter:
        for kind in kinds:
            _filters[kind] = fn
        return fn

    return register


def behaviour_allows(device: Any, alert_code: int) -> bool:
    """False when the alert behaviours configured at ``device`` disable ``alert_code``."""
    if not _filters:
        from . import usecases  # noqa: F401  # the use-case modules register the filters
    fn = _filters.get(device.profile.dlms_kind)
    return fn is None or fn(device, alert_code)
