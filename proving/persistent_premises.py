"""Emulated premises that survive a restart: a journal of inputs, re-executed on start (event sourcing).

:class:`PersistentPremises` is an :class:`~proving.premises.EmulatedPremises` kept in a state
directory:

* ``premises.json`` -- how the premises were built: clock start, seed, devices, clock mode.
  Written once, after the PKI, and read on every start, so a rebuilt premises starts from the
  same virtual time and random seed;
* the PKI (``<eui>-ds.key`` ...) -- made the first time, reused afterwards;
* ``journal.sqlite`` -- :class:`~emulator.journal.Journal`: every input that changes device
  state, in order, with the virtual time at which it arrived.

:meth:`deliver`, :meth:`advance` / :meth:`advance_to` and :meth:`arm_fault` run the input,
append it to the journal (one durable transaction) and only then return: what a caller saw
acknowledged is in the journal, even after ``kill -9``.  Opening the directory again rebuilds
the devices from the PKI and the configuration and re-executes the journal (outputs
discarded), which reproduces registers, counters (replay protection included), logs, the
CHF device log and pending future-dated instructions.  The only non-deterministic device
input, the key pair a device generates for CS02c, is journaled with its command and put back
on replay.  Each entry also records the outcome (answered, number of alerts) and the replay
checks it and the virtual time, so a divergence is an error (:class:`JournalDivergence`),
not a silent difference.

:func:`persistent_dcc` is :func:`proving.embedded.embedded_dcc` over such premises, reusing
the PKI, with the audit trail synchronous=FULL and the DCC's counters restored from the
journal.  :func:`state_snapshot` gives a comparable view of the whole device state (tests).
See docs/persistence.md.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import itertools
import json
import os
import random
import threading
import time
import types
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.clock import VirtualClock, to_timestamp
from emulator.faults import HardwareFault
from emulator.journal import ADVANCE, DELIVER, FAULT, Entry, Journal
from emulator.profiles import Profile
from emulator.usecases.asn1_common import existing_state
from emulator.usecases.asn1_common import state as asn1_state
from gbcs.errors import DecodeError
from gbcs.framing import parse_frame

from .alert_storm import StormConfig
from .embedded import EmbeddedDcc, embedded_dcc
from .identities import make_pki
from .premises import DEFAULT_DEVICES, Delivery, EmulatedPremises

CONFIG_FILE = "premises.json"
JOURNAL_FILE = "journal.sqlite"
AUDIT_FILE = "audit.sqlite"  # as embedded_dcc
CONFIG_VERSION = 1

DeviceSpec = tuple[str, str, str, str]  # (EUI hex, firmware profile, DUIS device type, fuel)


class PersistenceError(RuntimeError):
    """A state directory that cannot be opened, or premises whose journal can no longer be written."""


class JournalDivergence(PersistenceError):
    """Re-executing the journal did not give what was recorded: the emulator is not deterministic there."""


# ---------------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class PremisesConfig:
    """What rebuilding the premises needs besides the PKI (``premises.json``)."""

    start: float  # virtual clock start, POSIX seconds
    seed: int
    devices: tuple[DeviceSpec, ...]
    run_until_idle: bool = True  # deliver() runs the clock until idle (EmulatedPremises), else time moves by advance()

    @classmethod
    def load(cls, path: Path) -> PremisesConfig:
        data = json.loads(path.read_text())
        if data.get("version") != CONFIG_VERSION:
            raise PersistenceError(f"{path}: configuration version {data.get('version')!r}, expected {CONFIG_VERSION}")
        devices = tuple((str(e), str(p), str(t), str(f)) for e, p, t, f in data["devices"])
        return cls(float(data["start"]), int(data["seed"]), devices, bool(data["run_until_idle"]))

    def save(self, path: Path) -> None:
        """Write atomically and durably (temporary file, fsync, rename, fsync of the directory)."""
        data = {"version": CONFIG_VERSION, **dataclasses.asdict(self)}
        temporary = path.with_suffix(".tmp")
        with open(temporary, "w") as file:
            json.dump(data, file, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync there
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _resolve_config(state: Path, start: datetime | float | str | None, seed: int | None,
                    devices: tuple[DeviceSpec, ...] | None, run_until_idle: bool | None) -> PremisesConfig:
    """The stored configuration (checked against what the caller asks), else a new one with a new PKI."""
    path = state / CONFIG_FILE
    if path.exists():
        config = PremisesConfig.load(path)
        asked = {"start": None if start is None else to_timestamp(start), "seed": seed,
                 "devices": None if devices is None else tuple(tuple(d) for d in devices),
                 "run_until_idle": run_until_idle}
        for name, value in asked.items():
            if value is not None and value != getattr(config, name):
                raise PersistenceError(f"{state}: {name} is {getattr(config, name)!r} there, not {value!r}")
        return config
    journal = state / JOURNAL_FILE
    if journal.exists() and journal.stat().st_size > 0:
        raise PersistenceError(f"{state}: a journal without {CONFIG_FILE}; refusing to start afresh over it")
    config = PremisesConfig(to_timestamp(start) if start is not None else datetime.now(UTC).timestamp(),
                            0 if seed is None else seed, tuple(devices or DEFAULT_DEVICES),
                            True if run_until_idle is None else run_until_idle)
    state.mkdir(parents=True, exist_ok=True)
    make_pki(state, tuple(bytes.fromhex(eui) for eui, *_ in config.devices))
    config.save(path)  # last: a directory with premises.json holds a complete PKI
    return config


# ---------------------------------------------------------------------- the premises


class PersistentPremises(EmulatedPremises):
    """Emulated premises journaled in ``state_dir`` (see the module text)."""

    def __init__(self, state_dir: str | Path, *, start: datetime | float | str | None = None,
                 seed: int | None = None, devices: tuple[DeviceSpec, ...] | None = None,
                 run_until_idle: bool | None = None, synchronous: str = "FULL", strict: bool = True) -> None:
        """Open the premises of ``state_dir``, creating them (and the PKI) the first time.

        ``start``, ``seed``, ``devices`` and ``run_until_idle`` apply when creating; on an
        existing directory they must match what is stored, if given.  ``strict=False`` lists
        replay divergences in :attr:`divergences` instead of raising (e.g. after an upgrade
        changed a use case's behaviour).
        """
        state = Path(state_dir)
        self.state_dir = state
        self.config = _resolve_config(state, start, seed, devices, run_until_idle)
        super().__init__(state, start=self.config.start, seed=self.config.seed, devices=self.config.devices,
                         reuse_pki=True)
        self._lock = threading.RLock()
        self._broken: BaseException | None = None
        self._arrived_at = 0.0  # virtual time at which the input being handled arrived
        self.originator_counters: dict[bytes, int] = {}  # the highest counter delivered, per originator
        self.last_seq = 0  # the journal entry of the last input
        self.strict = strict
        self.divergences: list[str] = []  # replay differences (strict=False only)
        self.journal = Journal(state / JOURNAL_FILE, synchronous=synchronous)
        began = time.perf_counter()
        try:
            self.replayed = self._replay(self.journal.entries())
        except BaseException:
            self.journal.close()
            raise
        self.replay_seconds = time.perf_counter() - began

    @classmethod
    def open(cls, state_dir: str | Path, **options: Any) -> PersistentPremises:
        """Same as the constructor."""
        return cls(state_dir, **options)

    # ------------------------------------------------------------------ journaled inputs

    def deliver(self, command: bytes) -> Delivery:
        """Run a command (as EmulatedPremises does), journal it, then return what came back."""
        with self._lock:
            self._check_usable()
            recipient, counter = _addressing(command)
            try:
                before = self._generated_keys(recipient)
                delivery = self._deliver_now(command, recipient)
                args: dict[str, Any] = {"answered": delivery.response is not None, "alerts": len(delivery.alerts)}
                keys = self._new_keys(recipient, before)
            except BaseException as exc:  # state may have changed with nothing journaled
                self._broken = exc
                raise
            if keys:
                args["keys"] = keys
            self._journal(DELIVER, recipient=recipient, data=bytes(command), args=args, counter=counter)
            return delivery

    def advance(self, seconds: float) -> list[bytes]:
        """Move virtual time forward (journaled); returns the alerts raised meanwhile."""
        with self._lock:
            return self.advance_to(self.clock.now() + seconds)

    def advance_to(self, when: datetime | float | str) -> list[bytes]:
        """Move virtual time to ``when`` (never backwards; journaled); returns the alerts raised meanwhile."""
        with self._lock:
            self._check_usable()
            target = to_timestamp(when)
            self.clock.advance_to(target)
            alerts = self.drain_outboxes()
            self._journal(ADVANCE, args={"to": target, "alerts": len(alerts)})
            return alerts

    def arm_fault(self, eui: bytes, fault: HardwareFault, message_code: int | None = None) -> None:
        """Make the device's next command (of ``message_code``, or any) hit ``fault`` (journaled)."""
        with self._lock:
            self._check_usable()
            device = self.devices[bytes(eui)].device
            device.arm_fault(fault, message_code)
            self._journal(FAULT, recipient=bytes(eui), args={"position": fault.position, "code": message_code})

    def _journal(self, kind: str, *, recipient: bytes | None = None, data: bytes | None = None,
                 args: dict[str, Any], counter: tuple[bytes, int] | None = None) -> None:
        at = self._arrived_at
        try:
            self.last_seq = self.journal.append(kind, at, recipient=recipient, data=data, args=args)
        except BaseException as exc:  # the devices moved on without the journal: stop here
            self._broken = exc
            raise PersistenceError(f"journal append failed, the premises must be reopened: {exc}") from exc
        if counter is not None:
            self._observe(*counter)

    def _check_usable(self) -> None:
        if self._broken is not None:
            raise PersistenceError(f"the journal could not be written ({self._broken}); reopen the premises")
        self._arrived_at = self.clock.now()

    def _observe(self, originator: bytes, counter: int) -> None:
        if counter > self.originator_counters.get(originator, -1):
            self.originator_counters[originator] = counter

    # ------------------------------------------------------------------ execution (live and replay)

    def _deliver_now(self, command: bytes, recipient: bytes | None) -> Delivery:
        """EmulatedPremises.deliver_to, with the clock run until idle or only to the current time."""
        return self.deliver_to(recipient, command, run_until_idle=self.config.run_until_idle)


    def _generated_keys(self, recipient: bytes | None) -> dict[str, Any]:
        """The key pairs the recipient generated for CS02c and keeps until CS02d (by usage)."""
        entry = self.devices.get(recipient) if recipient is not None else None
        found = existing_state(entry.device) if entry is not None else None
        return dict(found.new_keys) if found is not None else {}

    def _new_keys(self, recipient: bytes | None, before: dict[str, Any]) -> dict[str, str]:
        """PEM of the keys the command made the recipient generate (the non-deterministic input)."""
        after = self._generated_keys(recipient)
        return {usage: key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()).decode()
                for usage, key in after.items() if before.get(usage) is not key}

    def _replay(self, entries: Iterable[Entry]) -> int:
        """Re-execute journal entries in order (outputs discarded); raises JournalDivergence."""
        count = 0
        for entry in entries:
            if entry.at != self.clock.now():
                self._diverged(f"entry {entry.seq} arrived at {entry.at!r}, replay is at {self.clock.now()!r}")
            args = entry.args
            if entry.kind == DELIVER:
                data = entry.data or b""
                delivery = self._deliver_now(data, entry.recipient)
                for usage, pem in args.get("keys", {}).items():
                    device = self.devices[entry.recipient].device  # type: ignore[index]
                    asn1_state(device).new_keys[usage] = serialization.load_pem_private_key(pem.encode(), None)
                outcome = {"answered": delivery.response is not None, "alerts": len(delivery.alerts)}
                addressing = _addressing(data)[1]
                if addressing is not None:
                    self._observe(*addressing)
            elif entry.kind == ADVANCE:
                self.clock.advance_to(args["to"])
                outcome = {"alerts": len(self.drain_outboxes())}
            else:
                self.devices[entry.recipient].device.arm_fault(  # type: ignore[index]
                    HardwareFault(args["position"]), args.get("code"))
                outcome = {}
            recorded = {name: args[name] for name in outcome if name in args}
            if recorded != outcome:
                self._diverged(f"entry {entry.seq} ({entry.kind}) recorded {recorded}, replay gave {outcome}")
            self.last_seq = entry.seq
            count += 1
        return count

    def _diverged(self, detail: str) -> None:
        if self.strict:
            raise JournalDivergence(detail)
        self.divergences.append(detail)

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self.journal.close()

    def __enter__(self) -> PersistentPremises:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _addressing(command: bytes) -> tuple[bytes | None, tuple[bytes, int] | None]:
    """(recipient, (originator, counter)) of a command; Nones when it does not parse."""
    try:
        frame = parse_frame(command)
    except DecodeError:
        return None, None
    return frame.recipient, (frame.originator, frame.counter)


# ---------------------------------------------------------------------- comparable state

_SKIPPED = frozenset({"clock", "_view", "_own_public", "__weakref__"})  # shared clock, key-lookup caches
_OPAQUE = (VirtualClock, weakref.ref, type(threading.Lock()), type(threading.RLock()))
_CALLABLES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.BuiltinMethodType,
              functools.partial)


def state_snapshot(premises: EmulatedPremises) -> dict[str, Any]:
    """Every device's state and the clock's, as plain JSON-able data (equal for equal states).

    Walks each device object (slots and attributes, the ASN.1 use-case state, logs, pending
    future-dated instructions); keys appear as public points, callables by name.
    """
    clock = premises.clock
    timers = sorted(timer for timer in clock._queue if not timer.cancelled)
    snapshot: dict[str, Any] = {
        "clock": {"now": clock.now(), "rng": hashlib.sha256(repr(clock.rng.getstate()).encode()).hexdigest(),
                  "timers": [[t.when, t.seq, _canonical(t.callback, [])] for t in timers],
                  "errors": [[when, repr(exc)] for when, exc in clock.errors]},
        "devices": {},
    }
    for eui, entry in premises.devices.items():
        device = entry.device
        extra = existing_state(device)
        snapshot["devices"][eui.hex().upper()] = {"device": _canonical(device, []),
                                                  "asn1": _canonical(extra, []) if extra is not None else None}
    return snapshot


def state_fingerprint(premises: EmulatedPremises) -> str:
    """sha256 of :func:`state_snapshot`."""
    text = json.dumps(state_snapshot(premises), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any, path: list[int]) -> Any:
    """Plain data for ``value`` (see :func:`state_snapshot`); ``path`` holds the ids being walked (cycles)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, enum.Enum):
        return {"enum": f"{type(value).__qualname__}.{value.name}"}
    if isinstance(value, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        public = value.public_key() if isinstance(value, ec.EllipticCurvePrivateKey) else value
        return {"ec": public.public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint).hex()}
    if isinstance(value, x509.Certificate):
        return {"certificate": value.public_bytes(serialization.Encoding.DER).hex()}
    if isinstance(value, _CALLABLES):
        return {"callable": getattr(value, "__qualname__", type(value).__qualname__)}
    if isinstance(value, random.Random):
        return {"rng": hashlib.sha256(repr(value.getstate()).encode()).hexdigest()}
    if isinstance(value, itertools.count):
        return {"count": repr(value)}
    if isinstance(value, _OPAQUE):
        return {"skipped": type(value).__qualname__}
    if isinstance(value, Profile):
        return {"profile": value.name}
    if id(value) in path:
        return {"cycle": type(value).__qualname__}
    path.append(id(value))
    try:
        return _container(value, path)
    finally:
        path.pop()


def _container(value: Any, path: list[int]) -> Any:
    if isinstance(value, dict):
        return {"dict": [[_canonical(k, path), _canonical(v, path)] for k, v in value.items()]}
    if isinstance(value, list | tuple | deque):
        return [_canonical(item, path) for item in value]
    if isinstance(value, set | frozenset):
        return {"set": sorted(json.dumps(_canonical(item, path)) for item in value)}
    attrs: dict[str, Any] = {}
    for cls in type(value).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in _SKIPPED and hasattr(value, name):
                attrs[name] = _canonical(getattr(value, name), path)
    for name, item in getattr(value, "__dict__", {}).items():
        if name not in _SKIPPED:
            attrs[name] = _canonical(item, path)
    return {"object": type(value).__qualname__, "attrs": attrs}


# ---------------------------------------------------------------------- the embedded DCC over it


def persistent_dcc(state_dir: str | Path, xsd_dir: str | Path, *, start: datetime | None = None,
                   seed: int | None = None, storm: StormConfig | None = None, production: bool = True,
                   synchronous: str = "FULL") -> EmbeddedDcc:
    """:func:`proving.embedded.embedded_dcc` over :class:`PersistentPremises` in ``state_dir``.

    The PKI of ``state_dir`` is reused (made the first time), the journal is replayed, the
    audit trail (``audit.sqlite``) is opened synchronous=FULL and carries on its chain, and
    the DCC's originator counters start above every counter the journal holds, so the
    devices never see one again.  G6 approvals, entry-test results and alert-storm state
    are not persisted: set them up at start as ``smetsim serve`` does.
    """
    state = Path(state_dir)
    premises = PersistentPremises(state, start=start, seed=seed, synchronous=synchronous)
    try:
        return embedded_dcc(state, xsd_dir, storm=storm, production=production, premises=premises,
                            synchronous=synchronous)
    except BaseException:
        premises.close()
        raise
