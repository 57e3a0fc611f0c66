"""SEC G6 Threshold Anomaly Detection for Production Proving traffic (pure logic, no I/O).

* Thresholds are per owner: an originator ID (User-level, G6 (a)) or ``DCC_WIDE`` (totals across all
  originators, G6 (b)(i)); attribute limits check data values (G6 (b)(ii)).
* A profile must be set *and* approved for an originator before any of its traffic is processed; until
  then its requests are held in arrival order (not rejected, not lost) and approval processes them.
  A new profile awaiting approval leaves the approved one in force. The DCC-wide profile is optional.
* Counting: per (owner, scope, window) a deque of the times of processed requests, pruned to the window
  (now - window, now]. A request that would take a count above its limit is quarantined instead, with a
  ``QuarantineEventRef`` for a ``QuarantinedRequest`` DCC alert. Released requests are processed (and
  counted at release time); deleted ones are dropped.
* Scopes: "*" (all), "critical" / "non-critical", an SRV ("4.1.1") or a Service Reference group ("4.1").
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, lru_cache
from itertools import count

from .catalogue import catalogue
from .eui import eui_str

DCC_WIDE = "DCC"
"""Owner key of the DCC-wide profile (totals across all originators)."""
MAX_EVENT_REF = 10**20 - 1  # QuarantineEventRef: xs:integer, totalDigits 20
TYPE_SCOPES = frozenset({"*", "critical", "non-critical"})


class BreachKind(StrEnum):
    """The child element of the ``QuarantinedRequest`` DCC alert."""

    USER = "ADUserThresholdBreach"
    DCC = "ADDCCThresholdBreach"
    ATTRIBUTE = "ADAttributeLimitsBreach"


class Disposition(StrEnum):
    """What happened to a submitted request."""

    PROCESSED = "processed"
    HELD = "held"
    QUARANTINED = "quarantined"


@dataclass(frozen=True, slots=True)
class Threshold:
    """At most ``limit`` processed requests in ``scope`` within any ``window`` seconds."""

    scope: str
    window: float
    limit: int


@dataclass(frozen=True, slots=True)
class AttributeLimit:
    """Bounds (inclusive) on a data value of requests in ``scope``; None means unbounded."""

    scope: str
    attribute: str
    minimum: float | None = None
    maximum: float | None = None

    def breached(self, value: float) -> bool:
        """True when ``value`` lies outside the bounds."""
        below = self.minimum is not None and value < self.minimum
        return below or (self.maximum is not None and value > self.maximum)


@dataclass(frozen=True, slots=True)
class ThresholdProfile:
    """The thresholds and attribute limits of one owner."""

    thresholds: tuple[Threshold, ...] = ()
    attribute_limits: tuple[AttributeLimit, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Request:
    """A PP request as G6 sees it."""

    request_id: str
    originator: str
    srv: str
    attributes: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_request_id(cls, request_id: str, srv: str, attributes: Mapping[str, float] | None = None) -> Request:
        """Build from a DUIS RequestID (originator:target:counter)."""
        return cls(request_id, request_id.split(":")[0], srv, dict(attributes or {}))


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    """A quarantined request, with what it breached."""

    ref: int  # QuarantineEventRef
    request: Request
    breach: BreachKind
    owner: str  # originator ID or DCC_WIDE
    rule: Threshold | AttributeLimit
    at: float

    def alert(self) -> dict[str, dict[str, dict[str, str | int]]]:
        """The ``QuarantinedRequest`` DCC alert body as a plain mapping."""
        return {"QuarantinedRequest": {self.breach.value: {"RequestID": self.request.request_id,
                                                           "QuarantineEventRef": self.ref}}}


@dataclass(frozen=True, slots=True)
class Outcome:
    """The disposition of one request; ``quarantine`` is set when it was quarantined."""

    disposition: Disposition
    request: Request
    quarantine: QuarantineRecord | None = None


class ProfileError(ValueError):
    """A threshold profile that cannot be used."""


class UnknownQuarantineRef(KeyError):
    """No quarantined request has this QuarantineEventRef."""


@cache
def scope_matches(scope: str, srv: str) -> bool:
    """True when requests for ``srv`` fall within ``scope``."""
    if scope == "*":
        return True
    if scope in ("critical", "non-critical"):
        item = catalogue().get(srv)
        return item is not None and item.critical == (scope == "critical")
    return srv == scope or srv.startswith(scope + ".")


def _check_scope(scope: str) -> None:
    refs = {s.service_reference for s in catalogue().values()}
    if scope not in TYPE_SCOPES and scope not in catalogue() and scope not in refs:
        raise ProfileError(f"unknown scope {scope!r}: use *, critical, non-critical, an SRV or a Service Reference")


def validate_profile(profile: ThresholdProfile) -> ThresholdProfile:
    """Return ``profile`` when every rule is usable; raise :class:`ProfileError` otherwise."""
    for t in profile.thresholds:
        _check_scope(t.scope)
        if not t.window > 0 or t.limit < 0:
            raise ProfileError(f"threshold {t}: window must be > 0 and limit >= 0")
    for a in profile.attribute_limits:
        _check_scope(a.scope)
        unbounded = a.minimum is None and a.maximum is None
        if unbounded or (a.minimum is not None and a.maximum is not None and a.minimum > a.maximum):
            raise ProfileError(f"attribute limit {a}: needs a bound, and minimum <= maximum")
    return profile


@lru_cache(maxsize=4096)
def _owner(originator: str) -> str:
    return originator if originator == DCC_WIDE else eui_str(originator)


class AnomalyDetector:
    """G6 counting, holding and quarantine for PP traffic, driven by an injectable clock (seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, first_ref: int = 1) -> None:
        if not 1 <= first_ref <= MAX_EVENT_REF:
            raise ValueError("first_ref must be a positive integer of at most 20 digits")
        self._clock = clock
        self._refs = count(first_ref)
        self._pending: dict[str, ThresholdProfile] = {}
        self._approved: dict[str, ThresholdProfile] = {}
        self._windows: dict[tuple[str, str, float], deque[float]] = {}
        self._held: dict[str, list[tuple[int, Request]]] = {}
        self._arrivals = count()
        self._quarantine: dict[int, QuarantineRecord] = {}

    # --- profiles -------------------------------------------------------------------------------------

    def set_profile(self, owner: str, profile: ThresholdProfile) -> None:
        """Propose a profile for an originator (or ``DCC_WIDE``); it applies only once approved."""
        self._pending[_owner(owner)] = validate_profile(profile)

    def approve(self, owner: str) -> list[Outcome]:
        """Approve the proposed profile and process the owner's held requests, in arrival order."""
        key = _owner(owner)
        if key not in self._pending:
            raise ProfileError(f"no profile awaiting approval for {key}")
        profile = self._pending.pop(key)
        keep = {(key, t.scope, t.window) for t in profile.thresholds}
        for stale in [k for k in self._windows if k[0] == key and k not in keep]:
            del self._windows[stale]
        self._approved[key] = profile
        return [self._evaluate(request) for _, request in self._held.pop(key, [])]

    def approved(self, owner: str) -> bool:
        """True when ``owner`` has an approved profile."""
        return _owner(owner) in self._approved

    # --- traffic --------------------------------------------------------------------------------------

    def submit(self, request: Request) -> Outcome:
        """Hold, process or quarantine one request."""
        key = _owner(request.originator)
        if key == DCC_WIDE:
            raise ValueError(f"{DCC_WIDE!r} is not an originator")
        if key not in self._approved:
            self._held.setdefault(key, []).append((next(self._arrivals), request))
            return Outcome(Disposition.HELD, request)
        return self._evaluate(request)

    def _matching(self, owner: str, srv: str, now: float) -> list[tuple[Threshold, deque[float]]]:
        out = []
        for t in self._approved[owner].thresholds:
            if scope_matches(t.scope, srv):
                window = self._windows.setdefault((owner, t.scope, t.window), deque())
                while window and window[0] <= now - t.window:
                    window.popleft()
                out.append((t, window))
        return out

    def _evaluate(self, request: Request) -> Outcome:
        now = self._clock()
        owners = [_owner(request.originator)] + ([DCC_WIDE] if DCC_WIDE in self._approved else [])
        for owner in owners:
            for limit in self._approved[owner].attribute_limits:
                value = request.attributes.get(limit.attribute)
                if value is not None and scope_matches(limit.scope, request.srv) and limit.breached(value):
                    return self._quarantine_it(request, BreachKind.ATTRIBUTE, owner, limit, now)
        counted: dict[int, deque[float]] = {}
        for owner, kind in zip(owners, (BreachKind.USER, BreachKind.DCC), strict=False):
            for threshold, window in self._matching(owner, request.srv, now):
                if len(window) >= threshold.limit:
                    return self._quarantine_it(request, kind, owner, threshold, now)
                counted[id(window)] = window
        for window in counted.values():
            window.append(now)
        return Outcome(Disposition.PROCESSED, request)

    def _quarantine_it(
        self, request: Request, kind: BreachKind, owner: str, rule: Threshold | AttributeLimit, now: float
    ) -> Outcome:
        ref = next(self._refs)
        if ref > MAX_EVENT_REF:
            raise OverflowError("QuarantineEventRef exhausted (20 digits)")
        record = QuarantineRecord(ref, request, kind, owner, rule, now)
        self._quarantine[ref] = record
        return Outcome(Disposition.QUARANTINED, request, record)

    # --- quarantine actions ---------------------------------------------------------------------------

    def release(self, ref: int) -> Request:
        """Process a quarantined request (User instruction): it is counted now and returned for sending."""
        record = self._take(ref)
        now = self._clock()
        owners = [_owner(record.request.originator)] + ([DCC_WIDE] if DCC_WIDE in self._approved else [])
        seen: set[int] = set()
        for owner in owners:
            for _, window in self._matching(owner, record.request.srv, now):
                if id(window) not in seen:
                    seen.add(id(window))
                    window.append(now)
        return record.request

    def delete(self, ref: int) -> QuarantineRecord:
        """Delete a quarantined request (User instruction); the record is returned for the notification."""
        return self._take(ref)

    def _take(self, ref: int) -> QuarantineRecord:
        try:
            return self._quarantine.pop(ref)
        except KeyError:
            raise UnknownQuarantineRef(f"no quarantined request with QuarantineEventRef {ref}") from None

    # --- views ----------------------------------------------------------------------------------------

    def held(self, owner: str | None = None) -> tuple[Request, ...]:
        """Requests waiting for an approved profile (one owner's, or all), in arrival order."""
        lists: Iterable[list[tuple[int, Request]]] = (
            [self._held.get(_owner(owner), [])] if owner is not None else self._held.values()
        )
        return tuple(r for _, r in sorted((item for items in lists for item in items), key=lambda i: i[0]))

    def quarantined(self) -> tuple[QuarantineRecord, ...]:
        """Quarantined requests awaiting release or deletion, oldest first."""
        return tuple(self._quarantine.values())

    def count(self, owner: str, threshold: Threshold) -> int:
        """Processed requests currently inside ``threshold``'s window for ``owner``."""
        window = self._windows.get((_owner(owner), threshold.scope, threshold.window))
        if not window:
            return 0
        now = self._clock()
        return sum(1 for t in window if t > now - threshold.window)
