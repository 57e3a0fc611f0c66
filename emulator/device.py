"""The emulated device: ``handle(raw) -> DeviceOutput`` around security, dispatch and alerts.

A command goes through :meth:`DeviceSecurity.authenticate`; a refused command is dropped
(no response), logged in the security log and, where the profile says so, reported by an
alert.  An accepted command is dispatched through :mod:`emulator.registry` to its use-case
handler; a command the model does not support is dropped and reported with ECS100
(0x0120, alert 0x8F85) by DLMS devices.  Nothing raised inside escapes :meth:`handle`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from gbcs.crypto import KeyUnavailable
from gbcs.errors import DecodeError, EncodeError
from gbcs.framing import parse_frame
from gbcs.message import encode_payload, payload_type_of
from gbcs.pointer import set_pointer

from . import cosem_time, registry
from .alerts import (
    ALERT_NOT_SUPPORTED,
    COMMAND_NOT_SUPPORTED,
    LOG_ONLY,
    behaviour_allows,
    dlms_alert,
    gbz_alert,
    generic_message_code,
    is_critical,
)
from .clock import VirtualClock
from .cosem_classes import node
from .faults import HardwareFault
from .future import FutureStore
from .identity import DeviceKeys
from .logs import DeviceLog
from .profiles import Profile
from .security import MALFORMED, NOT_FOR_US, DeviceSecurity, HanPeer, Incoming, Rejected
from .trust import TrustAnchors

DLMS_KINDS = frozenset({"ESME", "SAPC", "CHF"})


@dataclass(slots=True)
class DeviceOutput:
    """What a device sends back for one input: a response (or None) and the alerts it raised."""

    response: bytes | None
    alerts: list[bytes] = field(default_factory=list)
    delay: float = 0.0  # virtual seconds before the response leaves the device


@dataclass(slots=True)
class Reply:
    """A handler's result: the response payload, as bytes or as a tree with elements to encrypt.

    ``plaintexts`` are (JSON pointer into ``tree``, plaintext) pairs: the security layer
    encrypts each to the right party and the tree is encoded with the ciphertexts in place.
    """

    content: bytes | None = None
    tree: dict[str, Any] | None = None
    payload_type: str = "dlms"
    plaintexts: list[tuple[str, bytes]] = field(default_factory=list)


class Device:
    """An emulated device of one kind; subclasses add the state their use cases work on."""

    kind: ClassVar[str] = "DEVICE"
    __slots__ = ("eui", "profile", "clock", "security", "event_log", "security_log", "outbox", "on_alert",
                 "_future", "_collect", "_time_offset", "_commissioned", "faults", "armed_faults",
                 "active_fault", "__weakref__")

    def __init__(self, eui: bytes, profile: Profile, clock: VirtualClock, keys: DeviceKeys,
                 anchors: TrustAnchors) -> None:
        if len(eui) != 8:
            raise ValueError("a device EUI-64 is 8 bytes")
        self.eui = bytes(eui)
        self.profile = profile
        self.clock = clock
        self.security = DeviceSecurity(self.eui, keys, anchors)
        self.event_log = DeviceLog()
        self.security_log = DeviceLog()
        self.outbox: list[bytes] = []  # alerts raised outside handle() (future-dated execution ...)
        self.on_alert: Any = None  # optional callable(device, alert bytes)
        self._future: FutureStore | None = None
        self._collect: list[bytes] | None = None
        self._time_offset = profile.clock_offset
        self._commissioned = clock.now()
        self.faults: dict[str, Any] | None = None  # fault injection, see inject_fault
        self.armed_faults: dict[int | None, HardwareFault] | None = None  # see arm_fault
        self.active_fault: HardwareFault | None = None  # the fault of the command being executed

    # ------------------------------------------------------------------ time

    def now(self) -> float:
        """The device's clock: virtual time plus its offset and drift."""
        virtual = self.clock.now()
        drift = self.profile.clock_drift_ppm
        if drift:
            return virtual + self._time_offset + (virtual - self._commissioned) * drift * 1e-6
        return virtual + self._time_offset

    def virtual_time(self, local: float) -> float:
        """The virtual time at which the device clock reads ``local``."""
        k = self.profile.clock_drift_ppm * 1e-6
        return (local - self._time_offset + k * self._commissioned) / (1 + k)

    def set_time(self, local: float) -> None:
        """Set the device clock (the virtual clock is unaffected)."""
        self._time_offset += local - self.now()

    def cosem_now(self) -> bytes:
        """The device time as a COSEM date-time (UTC, deviation unspecified)."""
        return cosem_time.encode(self.now())

    @property
    def future(self) -> FutureStore:
        if self._future is None:
            self._future = FutureStore(self)
        return self._future

    @property
    def alert_format(self) -> str:
        """DLMS data-notification for ESME-like devices and the CHF, GBZ alerts for ZigBee devices."""
        return "dlms" if self.profile.kind in DLMS_KINDS else "gbz"

    # ------------------------------------------------------------------ HAN

    def join(self, peer_eui: bytes, kind: str, ka: Any = None, ds: Any = None) -> None:
        """Record a HAN device joined to this one (its KA key protects device-to-device commands)."""
        self.security.han_peers[bytes(peer_eui)] = HanPeer(kind, ka, ds)

    def unjoin(self, peer_eui: bytes) -> bool:
        return self.security.han_peers.pop(bytes(peer_eui), None) is not None

    # ------------------------------------------------------------------ commands

    def handle(self, raw: bytes) -> DeviceOutput:
        """Process one incoming message; never raises."""
        alerts: list[bytes] = []
        self._collect = alerts
        try:
            response = self._handle(raw)
        except Exception as exc:  # a device fault must not escape to the caller
            self.event_log.add(self.now(), 0, f"internal error: {type(exc).__name__}: {exc}")
            response = None
        finally:
            self._collect = None
        delay = self.profile.response_delay
        if self.profile.response_jitter:
            delay += self.clock.rng.uniform(0, self.profile.response_jitter)
        return DeviceOutput(response, alerts, delay)

    def _handle(self, raw: bytes) -> bytes | None:
        try:
            frame = parse_frame(raw)
        except DecodeError as exc:
            self._refuse(Rejected(MALFORMED, str(exc)), None)
            return None
        try:
            incoming = self.security.authenticate(frame)
        except Rejected as rejection:
            self._refuse(rejection, frame.originator)
            return None
        payload_type = payload_type_of(incoming.code, frame.content)
        handler = registry.find(self.profile.dlms_kind, incoming.code, payload_type)
        if handler is None or not self.profile.supports(incoming.code):
            self._not_supported(incoming)
            return None
        fault = self._take_fault(incoming.code)
        if fault is not None:
            return fault(self, incoming)
        self.active_fault = self._take_hardware_fault(incoming.code)
        try:
            reply = handler(self, incoming)
        finally:
            self.active_fault = None
        if reply is None:
            return None
        return self.respond(incoming, reply)

    def respond(self, incoming: Incoming, reply: Reply) -> bytes | None:
        """Secure a handler's reply as the response to ``incoming``."""
        row = incoming.use_case
        date_time = self.cosem_now() if row is not None and row.timestamped else b""
        try:
            if reply.plaintexts:
                tree = reply.tree
                payload_type = reply.payload_type

                def place(wires: Any) -> bytes:
                    for pointer, wire in wires.items():
                        set_pointer(tree, pointer, wire.hex().upper())
                    return encode_payload(payload_type, tree)

                return self.security.secure_response(incoming, b"", date_time=date_time,
                                                     plaintexts=reply.plaintexts, encode_content=place)
            content = reply.content
            if content is None:
                content = encode_payload(reply.payload_type, reply.tree)
            return self.security.secure_response(incoming, content, date_time=date_time)
        except (KeyUnavailable, EncodeError) as exc:
            self.event_log.add(self.now(), 0, f"no response to 0x{incoming.code:04X}: {exc}")
            return None

    def _refuse(self, rejection: Rejected, originator: bytes | None) -> None:
        """Log a refused command and raise the profile's alert for it (not for messages that are not ours)."""
        code = self.profile.security_alerts.get(rejection.reason, 0)
        self.security_log.add(self.now(), code, f"{rejection.reason}: {rejection.detail}")
        if rejection.reason != NOT_FOR_US and code:
            self.raise_alert(code)

    def refuse_malformed(self, detail: str) -> None:
        """Log a command whose payload is malformed and raise the profile's alert for it."""
        self._refuse(Rejected(MALFORMED, detail), None)

    def _not_supported(self, incoming: Incoming) -> None:
        """ECS100: report a command the device does not support (DLMS devices), else only log it."""
        self.event_log.add(self.now(), ALERT_NOT_SUPPORTED, f"message code 0x{incoming.code:04X} not supported")
        if self.alert_format != "dlms" or not self.profile.unsupported_alert:
            return
        reference = incoming.code.to_bytes(2, "big") + incoming.counter.to_bytes(8, "big")
        other = incoming.other
        srp = other.supplementary_remote_party
        other_information = COMMAND_NOT_SUPPORTED.to_bytes(2, "big")
        if srp is not None:
            other_information += srp + (other.supplementary_remote_party_counter or 0).to_bytes(8, "big")
        self.raise_alert(ALERT_NOT_SUPPORTED, message_code=COMMAND_NOT_SUPPORTED, recipient=incoming.originator,
                         extra_octets=reference, other_information=other_information)

    # ------------------------------------------------------------------ alerts

    def alert_enabled(self, alert_code: int) -> bool:
        """True when the device sends ``alert_code``: the profile's alert set and the configured behaviours."""
        return self.profile.alert_enabled(alert_code) and behaviour_allows(self, alert_code)

    def alert_recipient(self) -> bytes | None:
        """Where an alert without a command goes: the supplier, else the ACB."""
        anchors = self.security.anchors
        return anchors.supplier or anchors.acb

    def raise_alert(
        self,
        alert_code: int,
        *,
        message_code: int | None = None,
        recipient: bytes | None = None,
        extra_octets: bytes | None = None,
        other_information: bytes | None = None,
        content: bytes | None = None,
        extra: list[Any] | None = None,
    ) -> bytes | None:
        """Log an event and, when the profile raises it, send the alert (returned, and queued).

        ``content`` is a ready-made alert payload (ASN.1 alerts); by default the DLMS or GBZ
        alert body is built from the alert code and ``extra_octets`` (or, DLMS, the data nodes ``extra``).
        """
        now = self.now()
        self.event_log.add(now, alert_code)
        if alert_code in LOG_ONLY or not self.alert_enabled(alert_code):
            return None
        recipient = recipient or self.alert_recipient()
        if recipient is None:
            return None
        if message_code is None:
            message_code = generic_message_code(alert_code)
        counter = self.security.next_counter()
        if content is None and self.alert_format == "dlms":
            if extra is None:
                extra = [node("octet-string", extra_octets.hex().upper())] if extra_octets is not None else []
            content = dlms_alert(counter, alert_code, cosem_time.encode(now), extra)
        elif content is None:
            data = None if extra_octets is None else {"format": "raw", "count": 0, "hex": extra_octets.hex().upper()}
            content = gbz_alert(alert_code, now, data)
        if other_information is None:
            other_information = message_code.to_bytes(2, "big")
        try:
            alert = self.security.secure_alert(recipient, counter, other_information, content,
                                               critical=is_critical(alert_code))
        except KeyUnavailable as exc:
            self.event_log.add(now, 0, f"alert 0x{alert_code:04X} not sent: {exc}")
            return None
        if self._collect is not None:
            self._collect.append(alert)
        else:
            self.outbox.append(alert)
            if self.on_alert is not None:
                self.on_alert(self, alert)
        return alert

    # ------------------------------------------------------------------ fault injection

    def inject_fault(self, message_code: int, behaviour: Any) -> None:
        """Answer the next command of ``message_code`` with ``behaviour(device, incoming)`` (tests, CR1233)."""
        if self.faults is None:
            self.faults = {}
        self.faults[message_code] = behaviour

    def arm_fault(self, fault: HardwareFault, message_code: int | None = None) -> None:
        """Make the next command (of ``message_code``, or any) hit ``fault`` (see :mod:`emulator.faults`)."""
        if self.armed_faults is None:
            self.armed_faults = {}
        self.armed_faults[message_code] = fault

    def _take_hardware_fault(self, code: int) -> HardwareFault | None:
        armed = self.armed_faults
        if not armed:
            return None
        fault = armed.pop(code, None)
        return fault if fault is not None else armed.pop(None, None)

    def _take_fault(self, code: int) -> Any:
        if not self.faults:
            return None
        return self.faults.pop(code, None)
