"""The input journal of emulated premises: every state-changing input, in order, in SQLite (WAL).

Devices on a :class:`~emulator.clock.VirtualClock` are deterministic: the same inputs at the
same virtual times give the same state.  So the state of a premises is its inputs, and the
journal keeps them: commands delivered (raw bytes and recipient), virtual-clock advances and
fault injections, each with the virtual time at which it arrived (``at``) and a small JSON
``args`` for what the input needs besides (a fault's position, a key the device generated).

:meth:`Journal.append` is one transaction and returns only once it is durable: the file is in
WAL mode with ``synchronous=FULL`` by default, so an appended entry survives ``kill -9`` (and
power loss, as far as the disk honours fsync).  Rows are never updated or deleted: triggers
refuse it, and an insert must take the next sequence number.

:class:`Journal` is thread-safe (one connection behind a lock).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

DELIVER = "deliver"
ADVANCE = "advance"
FAULT = "fault"
KINDS = (DELIVER, ADVANCE, FAULT)
SCHEMA_VERSION = 1
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")

_REFUSE = "SELECT RAISE(ABORT, 'the journal is append-only: {} refused');"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS journal (
    seq         INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ({", ".join(repr(k) for k in KINDS)})),
    at          REAL NOT NULL,
    recipient   BLOB,
    data        BLOB,
    args        TEXT,
    recorded_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_recipient ON journal (recipient) WHERE recipient IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal BEGIN {_REFUSE.format("UPDATE")} END;
CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal BEGIN {_REFUSE.format("DELETE")} END;
CREATE TRIGGER IF NOT EXISTS journal_next_seq BEFORE INSERT ON journal
    WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM journal)
    BEGIN {_REFUSE.format("out-of-order INSERT")} END;
"""
_COLUMNS = "seq, kind, at, recipient, data, args, recorded_at"


class JournalError(RuntimeError):
    """A journal file that cannot be used (newer schema, bad settings)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One journaled input."""

    seq: int
    kind: str  # DELIVER, ADVANCE or FAULT
    at: float  # virtual time when the input arrived
    recipient: bytes | None = None  # DELIVER: the command's recipient (None when the frame did not parse)
    data: bytes | None = None  # DELIVER: the raw command
    args: Mapping[str, Any] = field(default_factory=dict)
    recorded_at: float = 0.0  # wall-clock time of the append (informative)


class Journal:
    """An append-only journal of inputs in one SQLite file (see the module text)."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        if synchronous.upper() not in SYNCHRONOUS:
            raise JournalError(f"synchronous: expected one of {', '.join(SYNCHRONOUS)}, got {synchronous!r}")
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._setup(synchronous.upper())
        except BaseException:
            self._db.close()
            raise
        self._seq = self._db.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()[0]

    def _setup(self, synchronous: str) -> None:
        db = self._db
        if db.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
            raise JournalError(f"{self.path}: cannot switch to WAL mode")
        db.execute(f"PRAGMA synchronous={synchronous}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError(f"{self.path}: journal schema {version} is newer than {SCHEMA_VERSION}")
        db.executescript(SCHEMA)
        if version < SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # ------------------------------------------------------------------ writing

    def append(self, kind: str, at: float, *, recipient: bytes | None = None, data: bytes | None = None,
               args: Mapping[str, Any] | None = None) -> int:
        """Record one input (its own transaction, durable on return); returns its sequence number."""
        if kind not in KINDS:
            raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
        text = json.dumps(dict(args), sort_keys=True, separators=(",", ":")) if args else None
        with self._lock:
            seq = self._seq + 1
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(f"INSERT INTO journal ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 (seq, kind, float(at), recipient, data, text, time.time()))
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._seq = seq
        return seq

    # ------------------------------------------------------------------ reading

    def entries(self, after: int = 0, upto: int | None = None, *, chunk: int = 2000) -> Iterator[Entry]:
        """Entries with ``after < seq <= upto`` (to the current end by default), in order, read in chunks."""
        last = self._seq if upto is None else upto
        while after < last:
            with self._lock:
                rows = self._db.execute(
                    f"SELECT {_COLUMNS} FROM journal WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                    (after, last, chunk)).fetchall()
            if not rows:
                return
            for seq, kind, at, recipient, data, args, recorded_at in rows:
                yield Entry(seq, kind, at, recipient, data, json.loads(args) if args else {}, recorded_at)
            after = rows[-1][0]

    def get(self, seq: int) -> Entry | None:
        """The entry numbered ``seq``, if any."""
        return next(self.entries(seq - 1, seq), None)

    def pragma(self, name: str) -> Any:
        """A PRAGMA value of the connection (``journal_mode``, ``synchronous`` ...)."""
        with self._lock:
            return self._db.execute(f"PRAGMA {name}").fetchone()[0]

    @property
    def last_seq(self) -> int:
        """The sequence number of the last entry (0 when empty)."""
        return self._seq

    def __len__(self) -> int:
        return self._seq

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
