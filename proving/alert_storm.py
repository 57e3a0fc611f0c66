"""SECMP0062 alert-storm protection: a pluggable, configurable throttle for alerts on their way to Users.

The TMMD parameters and the exact meaning of the ``Throttled*`` elements are not public
(requirements §2, tagged [U]), so every choice below is configuration, and the defaults are
the "most natural reading" of the spec.  Pending confirmation against the TMMD / DUIS clause 3.

Reading implemented (defaults in brackets):

* **Key** [``device_code``]: alerts are counted per (device id, alert code); ``device`` and
  ``code`` are the alternatives, or pass any ``key=`` callable to :class:`AlertStormPolicy`.
* **Counting**: a rolling window of ``window`` seconds holds the times of *delivered* alerts
  per key.  An alert is delivered only while fewer than ``threshold`` were delivered in the
  last ``window`` seconds, so no window ever sees more than ``threshold`` deliveries per key.
* **Release rule** [``window``]: ``window`` lets the next alert through as soon as the oldest
  delivery leaves the window (a sliding-window rate limit); ``quiet`` keeps the key suppressed
  until it has been silent (no alert at all, delivered or not) for ``quiet_period`` seconds.
* **Episode**: a throttling episode opens at the first suppressed alert of a key and closes
  once ``quiet_period`` passes with no suppression (``window`` rule) or no alert (``quiet``
  rule).  ``quiet_period`` must be >= ``window``, which guarantees that the alerts suppressed
  in an episode are reported before the next episode of that key can open.
* **Metadata**: the first alert delivered after one or more suppressions carries
  ``ThrottledAlertCount`` = the number suppressed since the previous delivered alert of the key
  and ``ThrottledAlertSequenceId``; alerts delivered with nothing suppressed before them carry
  neither.  ``sequence_id = "episode"`` [default] makes the id a policy-wide episode number
  (1, 2, ... wrapping inside xs:unsignedInt), identical on every delivery that reports the same
  episode, so a User can add up the counts of one storm; ``sequence_id = "ordinal"`` numbers
  the reporting deliveries within an episode (1, 2, ...) instead.
* **Exclusions** [``{0x8F75}``, editable]: alerts with an excluded code are always delivered,
  never counted and never carry metadata.
* **Nothing lost**: every suppressed alert goes to a :class:`SuppressedLog` (or any sink),
  with exact per-key counts; :meth:`AlertStormPolicy.outstanding` shows suppressed alerts not
  yet reported in metadata.

Time comes from an injectable clock (POSIX or monotonic seconds); a time earlier than the
last one seen for a key is treated as that last time.  Work per alert is O(1) amortised (one
bounded deque per key).  Not thread-safe: drive one policy from one thread or event loop.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

AlertCode = int | str
"""A device alert code (int, e.g. 0x8F75) or a DCC alert code (str, e.g. ``"N24"``)."""

DEFAULT_EXCLUSIONS: frozenset[AlertCode] = frozenset({0x8F75})
KEY_MODES = ("device_code", "device", "code")
RELEASE_RULES = ("window", "quiet")
SEQUENCE_ID_MODES = ("episode", "ordinal")
_UINT32 = 1 << 32
_DCC_CODE = re.compile(r"N\d{1,3}|AD\d{1,3}")
_HEX_CODE = re.compile(r"(?:0X)?[0-9A-F]{1,4}")


class StormConfigError(ValueError):
    """An invalid alert-storm configuration; the message names the offending item."""


def parse_alert_code(value: Any, where: str = "alert code") -> AlertCode:
    """An alert code from an int, a hex string (``"0x8F75"``, ``"8F75"``) or a DCC code (``"N24"``, ``"AD1"``)."""
    if isinstance(value, bool):
        raise StormConfigError(f"{where}: expected an alert code, got {value!r}")
    if isinstance(value, int):
        if not 0 <= value <= 0xFFFF:
            raise StormConfigError(f"{where}: {value:#x} is outside 0x0000..0xFFFF")
        return value
    if isinstance(value, str):
        text = value.strip().upper()
        if _DCC_CODE.fullmatch(text):
            return text
        if _HEX_CODE.fullmatch(text):
            return int(text.removeprefix("0X"), 16)
        raise StormConfigError(f"{where}: {value!r} is neither a hex device alert code nor a DCC alert code")
    raise StormConfigError(f"{where}: expected an int or a string, got {type(value).__name__}")


def format_alert_code(code: AlertCode) -> str:
    """``0x8F75`` -> ``"8F75"`` (DUIS AlertCode form); DCC codes unchanged."""
    return f"{code:04X}" if isinstance(code, int) else code


# ---------------------------------------------------------------------------------------- config


@dataclass(frozen=True, slots=True)
class StormConfig:
    """Throttle parameters (TMMD stand-ins).  Build from a mapping with :meth:`from_mapping`."""

    window: float = 3600.0
    threshold: int = 10
    key: str = "device_code"
    release: str = "window"
    quiet_period: float | None = None
    exclusions: frozenset[AlertCode] = DEFAULT_EXCLUSIONS
    sequence_id: str = "episode"

    def __post_init__(self) -> None:
        _check_number("window", self.window, positive=True)
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int) or self.threshold < 1:
            raise StormConfigError(f"threshold: must be an integer >= 1, got {self.threshold!r}")
        _check_choice("key", self.key, KEY_MODES)
        _check_choice("release", self.release, RELEASE_RULES)
        _check_choice("sequence_id", self.sequence_id, SEQUENCE_ID_MODES)
        if self.quiet_period is not None:
            _check_number("quiet_period", self.quiet_period, positive=True)
            if self.quiet_period < self.window:
                raise StormConfigError(f"quiet_period: must be >= window ({self.window}), got {self.quiet_period}")
        codes = frozenset(parse_alert_code(c, "exclusions") for c in self.exclusions)
        object.__setattr__(self, "exclusions", codes)

    @property
    def quiet(self) -> float:
        """The effective quiet period (``window`` when not set)."""
        return self.window if self.quiet_period is None else self.quiet_period

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "alert_storm") -> StormConfig:
        """A config from a dict / TOML table; unknown keys and bad values raise :class:`StormConfigError`."""
        if not isinstance(data, Mapping):
            raise StormConfigError(f"{where}: expected a table, got {type(data).__name__}")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise StormConfigError(
                f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        values = dict(data)
        if "exclusions" in values:
            raw = values["exclusions"]
            if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
                raise StormConfigError(f"{where}.exclusions: expected a list of alert codes, got {raw!r}")
            values["exclusions"] = frozenset(parse_alert_code(c, f"{where}.exclusions") for c in raw)
        try:
            return cls(**values)
        except StormConfigError as exc:
            raise StormConfigError(f"{where}.{exc}") from None

    @classmethod
    def from_toml(cls, source: str | Path, *, table: str = "alert_storm") -> StormConfig:
        """A config from a TOML file path or TOML text; ``table`` is a dotted table name ("" = top level)."""
        text = source.read_text() if isinstance(source, Path) else source
        try:
            doc: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise StormConfigError(f"invalid TOML: {exc}") from None
        for part in [p for p in table.split(".") if p]:
            if not isinstance(doc, dict) or part not in doc:
                raise StormConfigError(f"TOML has no [{table}] table")
            doc = doc[part]
        return cls.from_mapping(doc, where=table or "alert_storm")


def _check_number(name: str, value: Any, *, positive: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise StormConfigError(f"{name}: must be a number of seconds, got {value!r}")
    if positive and value <= 0:
        raise StormConfigError(f"{name}: must be > 0, got {value!r}")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise StormConfigError(f"{name}: must be one of {', '.join(choices)}, got {value!r}")


# ---------------------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert offered for delivery: who raised it, its code, and an opaque payload passed through."""

    device_id: str
    code: AlertCode
    payload: Any = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy did with one alert.

    ``at`` is the time used (never earlier than the key's previous alert); ``episode`` is the
    throttling episode open for the key, if any; the two ``throttled_*`` fields are set only on
    a delivered alert that follows suppressions.
    """

    alert: Alert
    key: Hashable | None
    delivered: bool
    at: float
    excluded: bool = False
    throttled_alert_count: int | None = None
    throttled_alert_sequence_id: int | None = None
    episode: int | None = None

    @property
    def throttled(self) -> bool:
        """True when this delivered alert carries throttling metadata."""
        return self.throttled_alert_count is not None

    def metadata(self) -> dict[str, int]:
        """The DUIS elements to add, in schema order (empty unless throttling happened)."""
        if self.throttled_alert_count is None or self.throttled_alert_sequence_id is None:
            return {}
        return {
            "ThrottledAlertSequenceId": self.throttled_alert_sequence_id,
            "ThrottledAlertCount": self.throttled_alert_count,
        }


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppressed alert: kept, never silently dropped."""

    alert: Alert
    key: Hashable
    at: float
    episode: int


class SuppressionSink(Protocol):
    """Anything that accepts suppressed alerts (e.g. :class:`SuppressedLog`, an audit-trail adapter)."""

    def record(self, suppression: Suppression) -> None: ...


@dataclass(slots=True)
class SuppressedLog:
    """Every suppressed alert with exact per-key and per-episode counts.

    ``max_records`` bounds the retained :class:`Suppression` objects (oldest evicted first);
    counts stay exact either way and ``evicted`` says how many records were evicted.
    """

    max_records: int | None = None
    records: deque[Suppression] = field(default_factory=deque)
    by_key: dict[Hashable, int] = field(default_factory=dict)
    by_episode: dict[int, int] = field(default_factory=dict)
    total: int = 0
    evicted: int = 0

    def record(self, suppression: Suppression) -> None:
        self.total += 1
        self.by_key[suppression.key] = self.by_key.get(suppression.key, 0) + 1
        self.by_episode[suppression.episode] = self.by_episode.get(suppression.episode, 0) + 1
        self.records.append(suppression)
        if self.max_records is not None and len(self.records) > self.max_records:
            self.records.popleft()
            self.evicted += 1

    def for_key(self, key: Hashable) -> list[Suppression]:
        """Retained suppressions for one key, oldest first."""
        return [s for s in self.records if s.key == key]


@dataclass(slots=True)
class Outstanding:
    """Suppressed alerts of one key not yet reported by a delivered alert's metadata."""

    key: Hashable
    count: int
    episode: int
    since: float


# ---------------------------------------------------------------------------------------- policy


class ThrottlePolicy(Protocol):
    """The pluggable interface a DCC stub calls after validation and before delivery."""

    def offer(self, alert: Alert, now: float | None = None) -> Decision: ...


class NoThrottle:
    """A policy that delivers everything unchanged (throttling switched off)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def offer(self, alert: Alert, now: float | None = None) -> Decision:
        return Decision(alert, None, True, self._clock() if now is None else now)


class _KeyState:
    """Per-key state: delivery times inside the window plus the open episode, if any."""

    __slots__ = ("delivered", "last_seen", "last_suppressed", "episode", "pending", "ordinal", "pending_since")

    def __init__(self) -> None:
        self.delivered: deque[float] = deque()
        self.last_seen = float("-inf")
        self.last_suppressed = float("-inf")
        self.episode: int | None = None
        self.pending = 0
        self.ordinal = 0
        self.pending_since = 0.0


def _key_device_code(alert: Alert) -> Hashable:
    return (alert.device_id, alert.code)


def _key_device(alert: Alert) -> Hashable:
    return alert.device_id


def _key_code(alert: Alert) -> Hashable:
    return alert.code


_KEYS: dict[str, Callable[[Alert], Hashable]] = {
    "device_code": _key_device_code,
    "device": _key_device,
    "code": _key_code,
}


class AlertStormPolicy:
    """SECMP0062 throttle: see the module docstring for the exact rules."""

    def __init__(
        self,
        config: StormConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sink: SuppressionSink | None = None,
        key: Callable[[Alert], Hashable] | None = None,
    ) -> None:
        self.config = config or StormConfig()
        self.exclusions: set[AlertCode] = set(self.config.exclusions)
        self.suppressed: SuppressionSink = sink if sink is not None else SuppressedLog()
        self._clock = clock
        self._key = key or _KEYS[self.config.key]
        self._states: dict[Hashable, _KeyState] = {}
        self._episodes = 0
        self.offered = 0
        self.delivered = 0
        self.suppressed_total = 0
        self.excluded = 0

    # ------------------------------------------------------------------ exclusion list

    def exclude(self, code: Any) -> None:
        """Add a code to the exclusion list (always delivered, never counted from now on)."""
        self.exclusions.add(parse_alert_code(code))

    def include(self, code: Any) -> None:
        """Remove a code from the exclusion list (counted and throttled from now on)."""
        self.exclusions.discard(parse_alert_code(code))

    def is_excluded(self, code: Any) -> bool:
        """True when alerts with this code bypass the throttle."""
        return parse_alert_code(code) in self.exclusions

    # ------------------------------------------------------------------ the throttle

    def offer(self, alert: Alert, now: float | None = None) -> Decision:
        """Decide one alert: deliver (maybe with metadata) or suppress into the sink."""
        at = self._clock() if now is None else now
        self.offered += 1
        if alert.code in self.exclusions:
            self.excluded += 1
            self.delivered += 1
            return Decision(alert, None, True, at, excluded=True)
        key = self._key(alert)
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = _KeyState()
        at = max(at, state.last_seen)
        cfg = self.config
        times = state.delivered
        horizon = at - cfg.window
        while times and times[0] <= horizon:
            times.popleft()
        closing = False
        if state.episode is not None:
            since = state.last_seen if cfg.release == "quiet" else state.last_suppressed
            if at - since >= cfg.quiet:
                if state.pending:
                    closing = True  # this alert is delivered (the window has emptied) and reports the episode
                else:
                    state.episode = None
                    state.ordinal = 0
        state.last_seen = at
        blocked = len(times) >= cfg.threshold or (cfg.release == "quiet" and state.episode is not None and not closing)
        if blocked:
            return self._suppress(alert, key, state, at)
        times.append(at)
        self.delivered += 1
        count = seq = None
        episode = state.episode
        if state.pending:
            state.ordinal += 1
            count = state.pending
            seq = episode if cfg.sequence_id == "episode" else state.ordinal
            state.pending = 0
        if closing:
            state.episode = None
            state.ordinal = 0
        return Decision(alert, key, True, at, False, count, seq, episode)

    def _suppress(self, alert: Alert, key: Hashable, state: _KeyState, at: float) -> Decision:
        if state.episode is None:
            self._episodes = self._episodes % (_UINT32 - 1) + 1
            state.episode = self._episodes
            state.ordinal = 0
        if not state.pending:
            state.pending_since = at
        state.pending += 1
        state.last_suppressed = at
        self.suppressed_total += 1
        self.suppressed.record(Suppression(alert, key, at, state.episode))
        return Decision(alert, key, False, at, episode=state.episode)

    # ------------------------------------------------------------------ inspection

    def outstanding(self) -> list[Outstanding]:
        """Keys with suppressed alerts that no delivered alert has reported yet."""
        return [
            Outstanding(k, s.pending, s.episode, s.pending_since)
            for k, s in self._states.items()
            if s.pending and s.episode is not None
        ]

    def in_window(self, key: Hashable) -> int:
        """Deliveries currently counted in the window for ``key`` (not expired lazily)."""
        state = self._states.get(key)
        return len(state.delivered) if state else 0

    def key_of(self, alert: Alert) -> Hashable:
        """The throttling key of an alert under this policy."""
        return self._key(alert)

    def prune(self, now: float | None = None) -> int:
        """Forget idle keys (no open episode, nothing outstanding, window empty); returns how many."""
        at = self._clock() if now is None else now
        idle = [
            k
            for k, s in self._states.items()
            if not s.pending
            and (not s.delivered or s.delivered[-1] <= at - self.config.window)
            and (s.episode is None or at - max(s.last_seen, s.last_suppressed) >= self.config.quiet)
        ]
        for k in idle:
            del self._states[k]
        return len(idle)

    def stats(self) -> dict[str, int]:
        """Counters: offered = delivered + suppressed; excluded alerts are a subset of delivered."""
        return {
            "offered": self.offered,
            "delivered": self.delivered,
            "suppressed": self.suppressed_total,
            "excluded": self.excluded,
            "keys": len(self._states),
            "episodes": self._episodes,
        }


def policy_from_config(data: Mapping[str, Any] | None, **kwargs: Any) -> ThrottlePolicy:
    """A policy from a config table; ``{"enabled": false}`` gives :class:`NoThrottle`."""
    table = dict(data or {})
    enabled = table.pop("enabled", True)
    if not isinstance(enabled, bool):
        raise StormConfigError(f"alert_storm.enabled: must be true or false, got {enabled!r}")
    if not enabled:
        return NoThrottle(kwargs.get("clock", time.time))
    return AlertStormPolicy(StormConfig.from_mapping(table), **kwargs)
