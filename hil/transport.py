"""One device/transport abstraction: the DCC front end reaches physical devices as it reaches emulated ones.

A :class:`Transport` moves :class:`Frame` objects (a GBCS message, an alert, the end of an
exchange, an identification) to and from a link: a serial port (hil/serial_bridge.py), a
radio, a socket.  :class:`BridgedPremises` is a :class:`proving.premises.DeliveryTarget`
over one or more transports: it keeps an inventory of EUI-64 -> device type (given, or
learned with the identification exchange), routes each command by its recipient EUI,
reports a device that stays silent as ``Delivery(None, reachable=True)`` (DUIS E21) and
reconnects after port loss following :class:`RetryPolicy` (docs/hil-serial.md, "Retry
policy").  Every frame, timeout and reconnection is recorded in :attr:`BridgedPremises.log`
under the device's EUI-64.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gbcs.errors import DecodeError
from gbcs.framing import parse_frame
from proving.premises import Delivery

if TYPE_CHECKING:
    from emulator.clock import VirtualClock
    from emulator.profiles import Profile
    from proving.alert_storm import StormConfig
    from proving.embedded import EmbeddedDcc
    from smetsim.keys import Keystore


class Kind(enum.IntEnum):
    """What a frame carries (the binary TYPE byte; the text keyword is the name)."""

    DATA = 1  # a GBCS command (host -> device) or response (device -> host)
    ALERT = 2  # a GBCS alert from a device
    DONE = 3  # end of an exchange: ASCII "<status>[,<counter hex>]"
    IDENT = 4  # identification request (host -> device), empty
    DEVICE = 5  # one device of the link: ASCII "<EUI hex>,<device type>[,<profile>[,<fuel>]]"


class Status(enum.IntEnum):
    """The status a DONE frame reports for a command."""

    ANSWERED = 0  # the response (if any) and the alerts have been sent
    NO_RESPONSE = 1  # the device dropped the command
    UNKNOWN_DEVICE = 2  # no device with the recipient's EUI on this link


@dataclass(frozen=True, slots=True)
class Frame:
    """One unit of the bridge protocol."""

    kind: Kind
    payload: bytes = b""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A device behind a transport, as the DCC sees it."""

    eui: bytes
    device_type: str
    profile: str | None = None
    fuel: str | None = None

    def to_frame(self) -> Frame:
        fields = [self.eui.hex().upper(), self.device_type, self.profile or "", self.fuel or ""]
        return Frame(Kind.DEVICE, ",".join(fields).rstrip(",").encode("ascii"))

    @classmethod
    def from_frame(cls, frame: Frame) -> DeviceInfo:
        parts = frame.payload.decode("ascii").split(",")
        eui = bytes.fromhex(parts[0])
        if len(eui) != 8 or len(parts) < 2 or not parts[1]:
            raise ValueError(f"bad DEVICE frame {frame.payload!r}")
        extra = [*parts[2:4], "", ""]
        return cls(eui, parts[1], extra[0] or None, extra[1] or None)


def done_frame(status: Status, counter: int | None = None) -> Frame:
    """The DONE frame closing the exchange of the command with ``counter``."""
    text = f"{int(status)}" if counter is None else f"{int(status)},{counter:016X}"
    return Frame(Kind.DONE, text.encode("ascii"))


def parse_done(frame: Frame) -> tuple[Status, int | None]:
    """(status, counter or None) of a DONE frame; ValueError when malformed."""
    status, _, counter = frame.payload.decode("ascii").partition(",")
    return Status(int(status)), int(counter, 16) if counter else None


class TransportLost(Exception):
    """The link went away (port unplugged, socket closed); :meth:`Transport.reconnect` may bring it back.

    ``maybe_sent``: raised by :meth:`Transport.send` after the frame was handed to the link
    (e.g. while draining it), so the device may have received it.
    """

    def __init__(self, message: str, *, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class Transport(Protocol):
    """A link carrying frames to devices; every call returns within bounded time."""

    name: str

    def send(self, frame: Frame) -> None:
        """Send one frame (raises TransportLost)."""

    def receive(self, timeout: float) -> Frame | None:
        """The next frame, or None when ``timeout`` seconds passed without one (raises TransportLost)."""

    def discard_input(self) -> None:
        """Drop anything received but not yet read (stale frames of an earlier exchange)."""

    def reconnect(self) -> None:
        """Close and reopen the link once (raises TransportLost when it cannot)."""

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How the bridge reacts to port loss (see docs/hil-serial.md).

    A command whose write failed never reached the device: the port is reopened and the
    command re-sent, up to ``resends`` times.  A command already written when the port was
    lost is *not* re-sent (the device may have acted on it; a GBCS replay would be refused
    anyway): it is reported as E21 and the port is reopened for the next command.  Reopening
    tries ``attempts`` times, waiting ``delay`` seconds first and multiplying by ``backoff``
    each time (at most ``max_delay``); when every attempt fails the command is reported as
    E20 (cannot communicate), and the next command tries again.
    """

    attempts: int = 5
    delay: float = 0.1
    backoff: float = 2.0
    max_delay: float = 2.0
    resends: int = 1

    def delays(self) -> Iterable[float]:
        delay = self.delay
        for _ in range(self.attempts):
            yield delay
            delay = min(delay * self.backoff, self.max_delay)


DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One event of the device log."""

    at: float
    eui: str | None  # EUI-64 hex of the device concerned; None for link events
    event: str  # command, response, alert, done, timeout, stale, lost, reconnected, unreachable, identified
    transport: str
    detail: str = ""


@dataclass(slots=True)
class BridgedDevice:
    """One device of the inventory and the transport that reaches it."""

    info: DeviceInfo
    transport: Transport

    @property
    def device_type(self) -> str:
        return self.info.device_type


@dataclass(slots=True)
class _Link:
    transport: Transport
    lock: threading.Lock = field(default_factory=threading.Lock)
    lost: bool = False


class BridgedPremises:
    """A DeliveryTarget over transports (see the module text)."""

    def __init__(self, transports: Transport | Iterable[Transport], *, inventory: Iterable[DeviceInfo] = (),
                 timeout: float = 5.0, settle: float | None = None, policy: RetryPolicy = DEFAULT_POLICY,
                 on_event: Callable[[LogEntry], None] | None = None, log_limit: int | None = 100_000) -> None:
        """``inventory`` lists the devices of the first transport (:meth:`add` places others); without it
        every transport is asked with :meth:`identify`.  ``log`` keeps the last ``log_limit`` events;
        ``on_event`` sees every one."""
        links = [transports] if hasattr(transports, "send") else list(transports)  # type: ignore[arg-type]
        self._links = [_Link(t) for t in links]  # type: ignore[arg-type]
        self.timeout = timeout
        self.settle = settle  # silence after a response that ends an exchange without DONE (None: wait for DONE)
        self.policy = policy
        self.on_event = on_event
        self.log: deque[LogEntry] = deque(maxlen=log_limit)
        self.devices: dict[bytes, BridgedDevice] = {}
        self.pki_dir: Path | None = None  # set by bridged_dcc: where the DCC's PKI lives
        self.keystore: Keystore | None = None
        self.clock: VirtualClock | None = None  # the DCC's clock in a bridged set-up
        given = list(inventory)
        for info in given:
            self.add(info)
        if not given:
            for link in self._links:
                self.identify(link.transport)

    # ------------------------------------------------------------------ inventory

    def identify(self, transport: Transport) -> list[DeviceInfo]:
        """Ask a link which devices it reaches (IDENT -> DEVICE* DONE) and add them to the inventory."""
        link = self._link(transport)
        found: list[DeviceInfo] = []
        with link.lock:
            for _ in range(1 + self.policy.resends):  # IDENT is harmless to repeat
                if not self._ensure_up(link):
                    break
                try:
                    transport.discard_input()
                    transport.send(Frame(Kind.IDENT))
                    deadline = time.monotonic() + self.timeout
                    while (left := deadline - time.monotonic()) > 0:
                        frame = transport.receive(left)
                        if frame is None or frame.kind is Kind.DONE:
                            break
                        if frame.kind is Kind.DEVICE:
                            try:
                                found.append(DeviceInfo.from_frame(frame))
                            except ValueError:
                                self._event(None, "malformed", transport, repr(frame.payload))
                    break
                except TransportLost as exc:
                    link.lost = True
                    found.clear()
                    self._event(None, "lost", transport, str(exc))
        for info in found:
            self.devices[info.eui] = BridgedDevice(info, transport)
            self._event(info.eui, "identified", transport, f"{info.device_type} {info.profile or ''}".strip())
        return found

    def add(self, info: DeviceInfo, transport: Transport | None = None) -> None:
        """Put a device in the inventory, reached over ``transport`` (default: the first)."""
        link = self._link(transport) if transport is not None else self._links[0]
        self.devices[info.eui] = BridgedDevice(info, link.transport)

    def device_type(self, eui: bytes) -> str | None:
        entry = self.devices.get(bytes(eui))
        return entry.device_type if entry else None

    def supports(self, eui: bytes, message_code: int, payload_type: str) -> bool:
        """As EmulatedPremises.supports for devices of a known firmware profile; True otherwise (the device decides)."""
        entry = self.devices.get(bytes(eui))
        if entry is None:
            return False
        profile = _profile(entry.info.profile)
        if profile is None:
            return True
        from emulator import registry

        return registry.implements(profile, message_code, payload_type)

    def first_of(self, device_type: str, profile: str | None = None) -> bytes | None:
        """The EUI of the first device of a DUIS device type (and firmware profile, when given)."""
        for eui, entry in self.devices.items():
            if entry.device_type == device_type and (profile is None or entry.info.profile == profile):
                return eui
        return None

    # ------------------------------------------------------------------ delivery

    def deliver(self, command: bytes) -> Delivery:
        try:
            header = parse_frame(command)
        except DecodeError:
            return Delivery(None, reachable=True)  # a device would drop it; nobody answers
        entry = self.devices.get(header.recipient)
        if entry is None:
            return Delivery(None, reachable=False)
        link = self._link(entry.transport)
        with link.lock:
            return self._exchange(link, header.recipient, header.counter, command)

    def _exchange(self, link: _Link, eui: bytes, counter: int, command: bytes) -> Delivery:
        transport = link.transport
        for _ in range(1 + self.policy.resends):
            if not self._ensure_up(link):
                self._event(eui, "unreachable", transport, "the port could not be reopened")
                return Delivery(None, reachable=False)
            try:
                transport.discard_input()
                transport.send(Frame(Kind.DATA, command))
            except TransportLost as exc:
                link.lost = True
                self._event(eui, "lost", transport, f"while sending: {exc}")
                if not exc.maybe_sent:
                    continue  # not delivered: reopen and send again
                self._ensure_up(link)
                return Delivery(None, reachable=True)
            self._event(eui, "command", transport, command.hex().upper())
            try:
                return self._collect(transport, eui, counter)
            except TransportLost as exc:  # possibly delivered: never re-sent
                link.lost = True
                self._event(eui, "lost", transport, f"while waiting for the response: {exc}")
                self._ensure_up(link)
                return Delivery(None, reachable=True)
        self._event(eui, "unreachable", transport, "sending failed after reconnecting")
        return Delivery(None, reachable=False)

    def _collect(self, transport: Transport, eui: bytes, counter: int) -> Delivery:
        response: bytes | None = None
        alerts: list[bytes] = []
        reachable = True
        deadline = time.monotonic() + self.timeout
        while (left := deadline - time.monotonic()) > 0:
            frame = transport.receive(left)
            if frame is None:
                if response is None:
                    self._event(eui, "timeout", transport, f"no response within {self.timeout:g} s")
                break
            if frame.kind is Kind.ALERT:
                alerts.append(frame.payload)
                self._event(_originator(frame.payload) or eui, "alert", transport, frame.payload.hex().upper())
            elif frame.kind is Kind.DATA:
                if response is not None or not _answers(frame.payload, counter):
                    self._event(eui, "stale", transport, frame.payload.hex().upper())
                    continue
                response = frame.payload
                self._event(eui, "response", transport, response.hex().upper())
                if self.settle is not None:
                    deadline = min(deadline, time.monotonic() + self.settle)
            elif frame.kind is Kind.DONE:
                try:
                    status, done_counter = parse_done(frame)
                except ValueError:
                    continue
                if done_counter is not None and done_counter != counter:
                    self._event(eui, "stale", transport, frame.payload.decode("ascii"))
                    continue
                self._event(eui, "done", transport, status.name)
                reachable = status is not Status.UNKNOWN_DEVICE
                break
        return Delivery(response, alerts, reachable)

    # ------------------------------------------------------------------ links

    def _link(self, transport: Transport) -> _Link:
        for link in self._links:
            if link.transport is transport:
                return link
        raise KeyError(f"unknown transport {getattr(transport, 'name', transport)!r}")

    def _ensure_up(self, link: _Link) -> bool:
        """Reopen a lost link per the retry policy; True when it is up."""
        if not link.lost:
            return True
        for delay in self.policy.delays():
            time.sleep(delay)
            try:
                link.transport.reconnect()
            except TransportLost as exc:
                self._event(None, "reconnect-failed", link.transport, str(exc))
                continue
            link.lost = False
            self._event(None, "reconnected", link.transport)
            return True
        return False

    def _event(self, eui: bytes | None, event: str, transport: Transport, detail: str = "") -> None:
        entry = LogEntry(time.time(), eui.hex().upper() if eui else None, event,
                         getattr(transport, "name", "?"), detail)
        self.log.append(entry)
        if self.on_event is not None:
            self.on_event(entry)

    def close(self) -> None:
        for link in self._links:
            link.transport.close()


def _answers(response: bytes, counter: int) -> bool:
    """False only for a well-formed GBCS response to another command (a late one)."""
    try:
        return parse_frame(response).counter == counter
    except DecodeError:
        return True


def _originator(message: bytes) -> bytes | None:
    try:
        return parse_frame(message).originator
    except DecodeError:
        return None


_PROFILES: dict[str, Profile | None] = {}


def _profile(name: str | None) -> Profile | None:
    """A firmware profile this build knows, by name (None for physical devices of unknown profile)."""
    if not name:
        return None
    if name not in _PROFILES:
        from emulator.profiles import load_profile

        try:
            _PROFILES[name] = load_profile(name)
        except Exception:  # noqa: BLE001 - an unknown model: let the device decide
            _PROFILES[name] = None
    return _PROFILES[name]


def bridged_dcc(state_dir: str | Path, xsd_dir: str | Path, target: BridgedPremises, *,
                storm: StormConfig | None = None, production: bool = True) -> EmbeddedDcc:
    """The embedded DCC (:func:`proving.embedded.embedded_dcc`) with ``target`` as its premises.

    ``state_dir`` must hold the PKI the devices' keys come from (the one ``smetsim hil
    fake-meter --state DIR`` wrote or loaded); it is never overwritten.  The DCC's clock
    follows wall-clock time.
    """
    from emulator.clock import VirtualClock
    from proving.embedded import embedded_dcc
    from smetsim.keys import Keystore
    from smetsim.keys.pki import CA_DIR

    state = Path(state_dir)
    if not (state / CA_DIR / "root.pem").is_file():
        raise FileNotFoundError(f"no PKI in {state}: the DCC needs the devices' keys (smetsim hil fake-meter --state)")
    target.pki_dir = state
    target.keystore = Keystore.load(state)
    target.clock = VirtualClock(datetime.now(UTC), realtime=True)
    return embedded_dcc(state, xsd_dir, storm=storm, production=production, premises=target)
