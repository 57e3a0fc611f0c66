"""CR1233 Service Audit Trail: every request, response and alert, hash-chained in SQLite.

:class:`AuditTrail` is the public face: it numbers messages in arrival order, flags
out-of-sequence arrivals (:mod:`proving.audit_sequence`), chains and stores them
(:mod:`proving.audit_store`) and answers queries.  It is thread-safe (one connection behind a
lock), so an asyncio server can call it directly for small appends or through
``asyncio.to_thread`` for big batches.  :meth:`AuditTrail.append_many` writes a whole batch in
one transaction, which is the fast path.

Reopening a file carries on the same chain and the same sequencing state: nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from proving.audit_sequence import SequenceTracker
from proving.audit_store import CORRELATION, DEVICE, FIELDS, ChainReport, SqliteLog, chain_hash, payload_digest

__all__ = ["KINDS", "AuditMessage", "AuditRecord", "AuditTrail", "ChainReport"]

KINDS = ("request", "response", "alert")
_TRACKED = ("kind", "request_id", "correlates_to", "originator", "target", "response_code", "alert_code", "instruction",
            "message_type")


@dataclass(frozen=True, slots=True)
class AuditMessage:
    """One message to record.  ``correlates_to`` defaults to ``request_id`` for responses.

    ``gbcs`` is the GBCS frame (bytes or hex) and ``duis`` the DUIS XML (str or exact bytes);
    the record references each by sha256 and :meth:`AuditTrail.payloads` returns the bytes.
    Originator/target default from the RequestID (requests) or from the ResponseID / swapped
    correlated RequestID (responses, alerts).
    """

    kind: str
    message_type: str | None = None
    request_id: str | None = None
    response_id: str | None = None
    srv: str | None = None
    originator: str | None = None
    target: str | None = None
    correlates_to: str | None = None
    response_code: str | None = None
    alert_code: int | str | None = None
    instruction: int | None = None
    total_instructions: int | None = None
    future_dated: bool = False
    direction: str | None = None
    device_time: float | dt.datetime | None = None
    gbcs: bytes | str | None = None
    duis: str | bytes | None = None
    extra: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One stored record: the hashed fields (see ``proving.audit_store.FIELDS``) plus its hash."""

    seq: int
    recorded_at: float
    device_time: float | None
    direction: str | None
    kind: str
    message_type: str | None
    request_id: str | None
    response_id: str | None
    srv: str | None
    originator: str | None
    target: str | None
    correlates_to: str | None
    response_code: str | None
    alert_code: str | None
    instruction: int | None
    total_instructions: int | None
    future_dated: int
    gbcs_ref: str | None
    duis_ref: str | None
    out_of_sequence: int
    oos_reason: str | None
    extra: str | None
    hash: str

    @property
    def flagged(self) -> bool:
        """True when the record arrived out of sequence."""
        return bool(self.out_of_sequence)

    def extra_data(self) -> dict[str, Any]:
        """``extra`` decoded (empty when none)."""
        return json.loads(self.extra) if self.extra else {}


def _eui(value: str | None) -> str | None:
    return value.strip().upper() if value else None


def _text(value: object) -> str | None:
    """Text columns hold text: anything else would read back differently and break the chain."""
    return None if value is None else str(value)


def _alert_code(value: int | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, int):
        return f"{value:04X}"
    return value.strip().upper().removeprefix("0X")


def _timestamp(value: float | dt.datetime | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
    return float(value)


def _optional_int(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an int, got {value!r}")
    return value


def _peers(msg: AuditMessage, correlates: str | None) -> tuple[str | None, str | None]:
    """(originator, target), defaulted from the message's IDs when not given.

    Requests: the two EUIs of the RequestID.  Responses and alerts: those of the ResponseID
    (device:user) or else the correlated RequestID swapped (the device answers the user).
    """
    originator, target = _eui(msg.originator), _eui(msg.target)
    if originator is not None and target is not None:
        return originator, target
    swap = False
    source = msg.request_id if msg.kind == "request" else msg.response_id
    if source is None and msg.kind != "request":
        source, swap = correlates, True
    if source and source.count(":") == 2:
        first, second, _ = source.split(":")
        if swap:
            first, second = second, first
        originator = originator or _eui(first)
        target = target or _eui(second)
    return originator, target


def _payload(body: bytes | str | None, hex_text: bool) -> tuple[str | None, bytes | None]:
    """(sha256 reference, exact bytes) of a GBCS frame (bytes or hex) or DUIS XML (str or bytes)."""
    if body is None:
        return None, None
    if isinstance(body, str):
        body = bytes.fromhex(body) if hex_text else body.encode()
    return payload_digest(body), bytes(body)


class AuditTrail:
    """The append-only, hash-chained service audit trail in one SQLite file (WAL)."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        synchronous: str = "NORMAL",
    ) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._log = SqliteLog(path, synchronous=synchronous)
        self._load()

    def _load(self) -> None:
        """Chain head and sequencing state from what is already in the file."""
        self._seq, self._prev = self._log.head()
        self._tracker = SequenceTracker()
        for row in self._log.iter_rows(", ".join(_TRACKED)):
            self._tracker.observe(*row)

    # ------------------------------------------------------------------ writing

    def append(self, message: AuditMessage) -> AuditRecord:
        """Record one message (its own transaction)."""
        return self.append_many((message,))[0]

    def append_many(self, messages: Iterable[AuditMessage]) -> list[AuditRecord]:
        """Record messages in arrival order, all in one transaction."""
        with self._lock:
            seq, prev = self._seq, self._prev
            rows: list[tuple[Any, ...]] = []
            try:
                for msg in messages:
                    seq += 1
                    gbcs_ref, gbcs = _payload(msg.gbcs, True)
                    duis_ref, duis = _payload(msg.duis, False)
                    values = self._values(msg, seq, gbcs_ref, duis_ref)
                    prev = chain_hash(prev, values)
                    rows.append((*values, prev.hex(), gbcs, duis))
                self._log.insert(rows)
            except BaseException:
                self._load()  # the tracker may have seen part of the batch: rebuild from the file
                raise
            self._seq, self._prev = seq, prev
        return [AuditRecord(*row[:-2]) for row in rows]

    def _values(self, msg: AuditMessage, seq: int, gbcs_ref: str | None, duis_ref: str | None) -> tuple[Any, ...]:
        if msg.kind not in KINDS:
            raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {msg.kind!r}")
        request_id = _text(msg.request_id)
        correlates = _text(msg.correlates_to) or (request_id if msg.kind == "response" else None)
        originator, target = _peers(msg, correlates)
        response_code = _text(msg.response_code)
        alert_code = _alert_code(msg.alert_code)
        instruction = _optional_int("instruction", msg.instruction)
        reason = self._tracker.observe(
            msg.kind, request_id, correlates, originator, target, response_code, alert_code, instruction,
            msg.message_type,
        )
        extra = json.dumps(dict(msg.extra), sort_keys=True, separators=(",", ":")) if msg.extra else None
        return (
            seq,
            float(self._clock()),
            _timestamp(msg.device_time),
            _text(msg.direction),
            msg.kind,
            _text(msg.message_type),
            request_id,
            _text(msg.response_id),
            _text(msg.srv),
            originator,
            target,
            correlates,
            response_code,
            alert_code,
            instruction,
            _optional_int("total_instructions", msg.total_instructions),
            int(bool(msg.future_dated)),
            gbcs_ref,
            duis_ref,
            int(reason is not None),
            reason,
            extra,
        )

    # ------------------------------------------------------------------ reading

    def _query(self, where: str = "", params: tuple[Any, ...] = ()) -> list[AuditRecord]:
        with self._lock:
            return [AuditRecord(*row) for row in self._log.select(where, params)]

    def records(self) -> list[AuditRecord]:
        """Every record in arrival order."""
        return self._query()

    def get(self, seq: int) -> AuditRecord | None:
        """The record with arrival number ``seq``, if any."""
        found = self._query("seq = ?", (seq,))
        return found[0] if found else None

    def by_request(self, request_id: str) -> list[AuditRecord]:
        """The request itself plus every response/alert correlated to it, in arrival order."""
        return self._query(f"{CORRELATION} = ?", (request_id,))

    def by_device(self, device_id: str) -> list[AuditRecord]:
        """Every record about a device: requests targeting it, responses and alerts it originated."""
        return self._query(f"{DEVICE} = ?", (_eui(device_id),))

    def out_of_sequence(self) -> list[AuditRecord]:
        """Records flagged as out-of-sequence arrivals (CR1233)."""
        return self._query("out_of_sequence = 1")

    def payloads(self, seq: int) -> tuple[bytes | None, bytes | None]:
        """(GBCS frame, DUIS XML) of record ``seq``, byte for byte as recorded."""
        with self._lock:
            return self._log.payloads(seq)

    def awaiting_response(self) -> list[str]:
        """Requests recorded with no immediate response yet."""
        with self._lock:
            return self._tracker.awaiting_response()

    def head(self) -> tuple[int, str]:
        """(last seq, last hash hex): an anchor to keep outside the file."""
        with self._lock:
            return self._seq, self._prev.hex()

    def verify_chain(self, anchor: tuple[int, str] | None = None) -> ChainReport:
        """Recompute the chain; the report names the first bad record (``first_bad``)."""
        with self._lock:
            return self._log.verify(anchor)

    def __len__(self) -> int:
        with self._lock:
            return self._seq

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        with self._lock:
            self._log.close()

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


assert len(FIELDS) + 1 == len(AuditRecord.__dataclass_fields__), "AuditRecord must mirror audit_store.FIELDS"
