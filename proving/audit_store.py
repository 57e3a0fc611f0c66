"""The SQLite side of the service audit trail: schema, append-only triggers, hash chain, verification.

Each row of ``audit`` stores ``hash = sha256(previous hash || canonical record bytes)`` (hex),
with 32 zero bytes before the first record.  The canonical bytes are the compact JSON array
of :data:`FIELDS` in that order, so every column except ``hash`` is covered, including the
arrival sequence number (reordering and gaps are caught too).  Payloads (GBCS bytes, DUIS
XML bytes, kept exactly as received) sit in the unhashed ``gbcs``/``duis`` columns of the same
row and are referenced by their sha256 in the hashed ``gbcs_ref``/``duis_ref``; the verifier
re-hashes them.  Keeping them in the row (not in a table keyed by digest) keeps inserts
sequential, which is what makes batched appends fast.

Append-only is enforced by triggers refusing UPDATE and DELETE and any INSERT
whose ``seq`` is not the next one.  Someone with raw file access can still drop the triggers;
the chain is what detects the edit then.  Cutting records off the *end*, or recomputing every
hash after an edit, leaves a valid chain, so keep an anchor (:meth:`SqliteLog.head`) outside
the file and pass it to :meth:`SqliteLog.verify` to catch those too.

Durability: every transaction has written its WAL frames when COMMIT returns (NORMAL: that
survives the process being killed; FULL also syncs them, and survives power loss).  The WAL is
copied into the database file by a checkpointer thread with its own connection (passive
checkpoints, woken every few hundred commits or megabytes), not by the commit that happens to
cross SQLite's auto-checkpoint size, so commits stay short and the copy runs on another core.

:class:`SqliteLog` is not locked: the caller (``proving.audit.AuditTrail``) serialises use.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GENESIS = bytes(32)
SCHEMA_VERSION = 1

FIELDS: tuple[str, ...] = (
    "seq",
    "recorded_at",
    "device_time",
    "direction",
    "kind",
    "message_type",
    "request_id",
    "response_id",
    "srv",
    "originator",
    "target",
    "correlates_to",
    "response_code",
    "alert_code",
    "instruction",
    "total_instructions",
    "future_dated",
    "gbcs_ref",
    "duis_ref",
    "out_of_sequence",
    "oos_reason",
    "extra",
)
"""Hashed columns, in canonical order."""

DEVICE = "CASE kind WHEN 'request' THEN target ELSE originator END"
"""The device a record is about: the target of a request, the originator of a response or alert."""
CORRELATION = "coalesce(correlates_to, request_id)"
"""The request a record belongs to (a request belongs to itself)."""

_REFUSE = "SELECT RAISE(ABORT, 'audit trail is append-only: {} refused');"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS audit (
    seq                INTEGER PRIMARY KEY,
    recorded_at        REAL NOT NULL,
    device_time        REAL,
    direction          TEXT,
    kind               TEXT NOT NULL CHECK (kind IN ('request', 'response', 'alert')),
    message_type       TEXT,
    request_id         TEXT,
    response_id        TEXT,
    srv                TEXT,
    originator         TEXT,
    target             TEXT,
    correlates_to      TEXT,
    response_code      TEXT,
    alert_code         TEXT,
    instruction        INTEGER,
    total_instructions INTEGER,
    future_dated       INTEGER NOT NULL,
    gbcs_ref           TEXT,
    duis_ref           TEXT,
    out_of_sequence    INTEGER NOT NULL,
    oos_reason         TEXT,
    extra              TEXT,
    hash               TEXT NOT NULL,
    gbcs               BLOB,
    duis               BLOB
);
CREATE INDEX IF NOT EXISTS audit_request ON audit ({CORRELATION});
CREATE INDEX IF NOT EXISTS audit_device ON audit ({DEVICE});
CREATE INDEX IF NOT EXISTS audit_oos ON audit (seq) WHERE out_of_sequence = 1;
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN {_REFUSE.format("UPDATE")} END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN {_REFUSE.format("DELETE")} END;
CREATE TRIGGER IF NOT EXISTS audit_next_seq BEFORE INSERT ON audit
    WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit)
    BEGIN {_REFUSE.format("out-of-order INSERT")} END;
"""

_COLUMNS = ", ".join(FIELDS)
_INSERT = f"INSERT INTO audit ({_COLUMNS}, hash, gbcs, duis) VALUES ({', '.join('?' * (len(FIELDS) + 3))})"
_REF_GBCS = FIELDS.index("gbcs_ref")
_REF_DUIS = FIELDS.index("duis_ref")
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
SELECT = f"SELECT {_COLUMNS}, hash FROM audit"


def canonical(values: Sequence[Any]) -> bytes:
    """The canonical bytes of one record (its :data:`FIELDS` values, in order)."""
    return _ENCODE(list(values)).encode()


def chain_hash(previous: bytes, values: Sequence[Any]) -> bytes:
    """sha256(previous hash || canonical record bytes)."""
    return hashlib.sha256(previous + canonical(values)).digest()


def payload_digest(body: bytes) -> str:
    """The reference under which a payload is stored (sha256, hex)."""
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of :meth:`SqliteLog.verify`; ``first_bad`` names the first bad record's seq."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad: int | None = None
    reason: str | None = None


CHECKPOINT_BYTES = 2 * 1024 * 1024
"""Roughly how much is committed to the WAL between two background checkpoints ..."""
CHECKPOINT_COMMITS = 256
"""... or how many transactions, whichever comes first."""
RESTART_FRAMES = 4096
"""WAL frames (pages) past which the checkpointer waits for a gap between commits and starts the WAL over."""
_ROW_OVERHEAD = 400  # bytes of a record besides its payloads (index entries included), roughly


class _Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own thread and connection when woken.

    A passive checkpoint never blocks the writer.  A writer that commits all the time may never
    find the WAL fully copied when it begins a transaction, which is when the WAL starts over,
    so past :data:`RESTART_FRAMES` a RESTART checkpoint waits for a gap between commits, copies
    the rest (little, after the passive one) and makes the next commit start the WAL over.
    Started on the first wake.
    """

    def __init__(self, path: Path, synchronous: str) -> None:
        self.path = path
        self.synchronous = synchronous
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Ask for a checkpoint (starting the thread, again after a fork or a failure, when it is not running)."""
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="audit-checkpoint", daemon=True)
            self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        """End the thread (the last connection to close checkpoints whatever is left)."""
        if self._thread is not None:
            self._stopping = True
            self._wake.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                try:
                    _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if frames >= RESTART_FRAMES:  # a busy writer never lets the WAL start over by itself
                        conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
                except sqlite3.Error:  # e.g. busy: the next wake tries again
                    continue
        finally:
            conn.close()


class SqliteLog:
    """One SQLite file (WAL) holding the hash-chained records and their payloads."""

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL", cache_mib: int = 64) -> None:
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous: expected OFF, NORMAL, FULL or EXTRA, got {synchronous!r}")
        self.path = Path(path)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self.conn.execute("PRAGMA recursive_triggers=ON")
        self.conn.execute(f"PRAGMA cache_size={-1024 * int(cache_mib)}")
        self.conn.executescript(SCHEMA)
        self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        # The WAL is copied into the database by a checkpointer thread (its own connection), not by
        # whichever commit crosses the auto-checkpoint size: commits stay short and the copy (and its
        # fsyncs) runs on another core.  Durability is unchanged: each COMMIT has written its WAL
        # frames (and, with FULL, synced them) before it returns, whoever checkpoints later.
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointer = _Checkpointer(self.path, synchronous.upper())
        self._pending = 0  # bytes committed since the checkpointer was last woken (roughly)
        self._commits = 0

    def close(self) -> None:
        self._checkpointer.stop()
        self.conn.close()

    def head(self) -> tuple[int, bytes]:
        """(last seq, last hash) — (0, GENESIS) for an empty log.  Keep it as an external anchor."""
        row = self.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return (0, GENESIS) if row is None else (row[0], bytes.fromhex(row[1]))

    def insert(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows (FIELDS values, hash hex, gbcs body, duis body) in one transaction."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(_INSERT, rows)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._commits += 1
        self._pending += sum(_ROW_OVERHEAD + len(row[-1] or b"") + len(row[-2] or b"") for row in rows)
        if self._pending >= CHECKPOINT_BYTES or self._commits >= CHECKPOINT_COMMITS:
            self._pending = self._commits = 0
            self._checkpointer.wake()

    def select(self, where: str = "", params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows (FIELDS + hash) matching a WHERE clause, in seq order."""
        clause = f" WHERE {where}" if where else ""
        return self.conn.execute(f"{SELECT}{clause} ORDER BY seq", params).fetchall()

    def iter_rows(self, columns: str = f"{_COLUMNS}, hash, gbcs, duis") -> Iterator[tuple[Any, ...]]:
        """Every row in seq order (streamed)."""
        yield from self.conn.execute(f"SELECT {columns} FROM audit ORDER BY seq")

    def payloads(self, seq: int) -> tuple[bytes | None, bytes | None]:
        """(GBCS bytes, DUIS XML bytes) stored with record ``seq``."""
        row = self.conn.execute("SELECT gbcs, duis FROM audit WHERE seq = ?", (seq,)).fetchone()
        return (None, None) if row is None else (row[0], row[1])

    def verify(self, anchor: tuple[int, str] | None = None) -> ChainReport:
        """Recompute the chain and re-hash referenced payloads; report the first bad record."""
        previous = GENESIS
        expected = 0
        anchor_seen = anchor is None
        for row in self.iter_rows():
            expected += 1
            seq, stored, gbcs, duis = row[0], row[-3], row[-2], row[-1]
            values = row[:-3]
            if seq != expected:
                return self._bad(
                    expected - 1, previous, seq, f"sequence gap or reorder: expected seq {expected}, found {seq}"
                )
            try:
                digest = chain_hash(previous, values)
            except (TypeError, ValueError) as exc:
                return self._bad(expected - 1, previous, seq, f"record not canonicalisable: {exc}")
            if digest.hex() != stored:
                return self._bad(expected - 1, previous, seq, "hash mismatch: record content or chain altered")
            for name, ref, body in (("GBCS", values[_REF_GBCS], gbcs), ("DUIS", values[_REF_DUIS], duis)):
                if (ref is None) != (body is None) or (body is not None and payload_digest(body) != ref):
                    return self._bad(
                        expected - 1, previous, seq, f"{name} payload altered (does not match its reference)"
                    )
            if anchor is not None and seq == anchor[0]:
                if stored != anchor[1]:
                    return self._bad(expected - 1, previous, seq, "does not match the external anchor")
                anchor_seen = True
            previous = digest
        if not anchor_seen and anchor is not None:
            return self._bad(expected, previous, anchor[0], "anchored record missing: log truncated")
        return ChainReport(True, expected, expected, previous.hex())

    @staticmethod
    def _bad(checked: int, previous: bytes, seq: int, reason: str) -> ChainReport:
        return ChainReport(False, checked, checked, previous.hex(), seq, reason)
