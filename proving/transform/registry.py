"""The transform registry: GBCS use case -> function(body, context) -> payload."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

DUIS_NS = "http://www.dccinterface.co.uk/ServiceUserGateway"


class TransformError(ValueError):
    """A request body that cannot be turned into the use case's payload; the message names the element."""

    def __init__(self, use_case: str, reason: str) -> None:
        super().__init__(f"{use_case}: {reason}")
        self.use_case = use_case
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TransformContext:
    """What a transform needs besides the body: the GBCS transaction it will travel in."""

    srv: str  # e.g. "4.1.1"
    use_case: str  # e.g. "ECS17b"
    message_code: int
    counter: int  # the originator counter of the command (DLMS invoke-id = 0x20 | counter & 0xFFFFFF)
    originator: bytes  # business originator EUI-64 (the User)
    recipient: bytes  # the target device EUI-64
    device_type: str  # DUIS device type: ESME, GSME, CHF, GPF, PPMID, HCALCS, ...
    execution_datetime: datetime | None = None  # DUIS ExecutionDateTime (future-dated requests), UTC
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the User's certificates for CS02


@dataclass(frozen=True, slots=True)
class Transformed:
    """A GBCS command payload ready to be framed."""

    use_case: str
    message_code: int
    payload_type: str  # "dlms", "gbz" or "asn1"
    payload: bytes
    other_information: bytes | None = None  # None: the 2-byte message code alone
    acb_originates: bool = False  # the command only works from the ACB (e.g. authorised by the ACB's cell)


Transform = Callable[[etree._Element, TransformContext], Transformed]
_TRANSFORMS: dict[str, Transform] = {}
_loaded = False
LOAD_ERRORS: dict[str, str] = {}  # family module -> why it did not load (its use cases then have no transform)


def transform_for(*use_cases: str) -> Callable[[Transform], Transform]:
    """Register the decorated function for ``use_cases``."""

    def register(function: Transform) -> Transform:
        for use_case in use_cases:
            if use_case in _TRANSFORMS:
                raise ValueError(f"two transforms for {use_case}")
            _TRANSFORMS[use_case] = function
        return function

    return register


def _load_families() -> None:
    global _loaded
    if _loaded:
        return
    package = __name__.rsplit(".", 1)[0]
    for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
        if module.name not in ("registry",) and not module.name.startswith("_"):
            try:
                importlib.import_module(f"{package}.{module.name}")
            except Exception as exc:  # one broken family must not take the others down
                LOAD_ERRORS[module.name] = f"{type(exc).__name__}: {exc}"
    _loaded = True


def registered_use_cases() -> frozenset[str]:
    """The use cases that have a transform."""
    _load_families()
    return frozenset(_TRANSFORMS)


def transform(body: etree._Element, context: TransformContext) -> Transformed:
    """The payload of ``context.use_case`` for the request ``body`` (the element inside sr:Body)."""
    _load_families()
    function = _TRANSFORMS.get(context.use_case)
    if function is None:
        raise TransformError(context.use_case, "no transform for this use case yet")
    return function(body, context)
