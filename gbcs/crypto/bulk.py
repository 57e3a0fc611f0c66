"""Bulk verification spread over a process pool.

Key objects cannot cross process boundaries, so workers build their own
:class:`KeystoreView` from a picklable factory (for instance
``functools.partial(smetsim.keys.keystore.load_view, directory)``) once, in the pool
initializer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ..errors import DecodeError
from ..framing import Frame, parse_frame
from .verify import verify_message
from .view import KeystoreView

ElementFinder = Callable[[Frame], list[tuple[str, bytes]]]

_worker_state: dict[str, Any] = {}


def payload_encrypted_elements(frame: Frame) -> list[tuple[str, bytes]]:
    """The encrypted elements of a frame's payload, found structurally by the payload codec.

    Uses :mod:`gbcs.message` to pick and run the codec; pointers are payload-relative.
    Raises DecodeError when the payload does not decode.
    """
    from .. import message  # imported late: the codecs are heavier than the crypto layer

    payload_type = message.payload_type_of(frame.message_code, frame.content)
    tree = message.decode_payload(payload_type, frame)
    prefix = len("/payload")
    return [(pointer[prefix:], wire) for pointer, wire in message.encrypted_elements(payload_type, tree)]


def verify_bytes(
    buf: bytes, view: KeystoreView, acb_eui: bytes, elements: ElementFinder | None = None
) -> dict[str, Any]:
    """Parse one message and run :func:`verify_message`; parse errors give ``{"error": ...}``."""
    try:
        frame = parse_frame(buf)
        found = (elements or payload_encrypted_elements)(frame)
    except DecodeError as exc:
        return {"error": str(exc)}
    return verify_message(frame, found, view, acb_eui)


def _init_worker(view_factory: Callable[[], KeystoreView], acb_eui: bytes, elements: ElementFinder | None) -> None:
    _worker_state["view"] = view_factory()
    _worker_state["acb"] = acb_eui
    _worker_state["elements"] = elements


def _verify_chunk(chunk: Sequence[bytes]) -> list[dict[str, Any]]:
    view = _worker_state["view"]
    acb = _worker_state["acb"]
    elements = _worker_state["elements"]
    return [verify_bytes(buf, view, acb, elements) for buf in chunk]


def verify_many(
    messages: Sequence[bytes],
    view_factory: Callable[[], KeystoreView],
    acb_eui: bytes,
    *,
    elements: ElementFinder | None = None,
    workers: int | None = None,
    chunk_size: int = 64,
) -> list[dict[str, Any]]:
    """Verify many messages, in order, over ``workers`` processes (default: CPU count).

    ``view_factory`` and ``elements`` must be picklable (module-level functions or
    ``functools.partial`` of them).  With one worker, or few messages, everything runs
    in this process.
    """
    if workers is None:
        workers = os.cpu_count() or 1
    view = view_factory()  # also warms a factory's own cache, which forked workers inherit
    if workers <= 1 or len(messages) <= chunk_size:
        return [verify_bytes(buf, view, acb_eui, elements) for buf in messages]
    chunks = [messages[i : i + chunk_size] for i in range(0, len(messages), chunk_size)]
    out: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                             initargs=(view_factory, acb_eui, elements)) as pool:
        for part in pool.map(_verify_chunk, chunks):
            out.extend(part)
    return out
