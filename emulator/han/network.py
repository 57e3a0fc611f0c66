"""A simulated HAN on the virtual clock: premises of one CHF (with its GPF) and the devices joined to it.

* Joining: a device presents a link key (by default the one its install code gives, or the
  key it remembers from an earlier join); the CHF Device Log admits it only inside its join
  window (:mod:`emulator.han.device_log`); the key is then established.
* Delivery: WAN commands reach the CHF (:meth:`Premises.send_command`) and go to their
  recipient: the CHF and the GPF (on the hub) answer at once, a HAN device over its link
  (:mod:`emulator.han.link`: latency, loss, duplication, reordering, all seeded).  Responses and
  alerts come back over the link to the CHF and are collected in ``Premises.upstream``.
* A sleepy device (the GSME, :class:`WakeSchedule`) gets its commands queued at the hub until it
  wakes; commands to the GPF are answered from its copy of the GSME data meanwhile.  At each
  wake a GSME reports to the GPF mirror first (``HanNode.on_wake``, :func:`emulator.gpf.sync_mirror`).
* HAN-only traffic (PPMID -> GSME, PCS01/PCS02): :meth:`Premises.send` device to device via
  the hub; the response goes back to the originating device's ``inbox``.
* Device power off/on, radio outages, alert storms (:mod:`emulator.han.storm`).

Premises are isolated: each has its own device log, nodes and random sources (seeded from
the network seed, the premises name, the device and the link direction).  The device log is
the premises' own, or an existing one (``log=``, the emulated CHF's ``device_log``: the CHF
then raises CS14 itself and the premises only follow the log's changes).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from gbcs.errors import DecodeError
from gbcs.framing import parse_frame

from ..clock import Timer, VirtualClock
from ..device import Device
from ..gpf import sync_mirror
from .cs14 import raise_device_log_changed
from .device_log import REMOVED, RESTORED, Admission, ChfDeviceLog, DeviceLogChange, HistoricTiming
from .install_codes import link_key_for_code
from .link import Link, LinkModel
from .sleepy import WakeSchedule
from .storm import AlertStorm

HUB = b"\x00" * 8  # where upstream traffic ends: the CHF's WAN side
RESPONSE, ALERT, COMMAND = "response", "alert", "command"


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One thing that happened to a message on the HAN (for tests and audit trails)."""

    time: float
    event: str  # send, deliver, lost, dropped, queued, wake, upstream, join, join-refused, ...
    src: bytes
    dst: bytes
    message: bytes = b""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Upstream:
    """A message that reached the CHF for the WAN: a response or an alert, from ``source``."""

    time: float
    source: bytes
    kind: str
    message: bytes


@dataclass(slots=True)
class HanNode:
    """A device on the premises' HAN: its links, power, join state and (sleepy) wake schedule."""

    device: Device
    up: Link  # device -> hub
    down: Link  # hub -> device
    install_code: bytes | None = None  # without CRC: the key the device presents on a first join
    wake: WakeSchedule | None = None
    powered: bool = True
    joined: bool = False
    link_key: bytes | None = None  # the TC link key the device remembers (kept when it is removed)
    queue: deque[tuple[bytes, bytes, str]] = field(default_factory=deque)  # (src, raw, kind) waiting at the hub
    wake_timer: Timer | None = None
    inbox: list[tuple[float, bytes, bytes]] = field(default_factory=list)  # (time, src, raw) HAN responses
    on_wake: Callable[[HanNode], None] | None = None  # e.g. the GSME reporting to the GPF mirror

    @property
    def eui(self) -> bytes:
        return self.device.eui


class Premises:
    """One CHF (with its GPF) and the HAN devices joined to it."""

    def __init__(self, network: HanNetwork, name: str, chf: Device, gpf: Device | None = None, *,
                 timing: HistoricTiming = HistoricTiming.HALF, link: LinkModel | None = None,
                 cs14: bool = True, log: ChfDeviceLog | None = None) -> None:
        self.network = network
        self.name = name
        self.clock = network.clock
        self.chf = network.check_clock(chf)
        self.gpf = network.check_clock(gpf) if gpf is not None else None
        self.default_link = link or LinkModel()
        self.cs14 = cs14
        if log is None:  # the premises' own log: they raise CS14 at the CHF (unless cs14 is off)
            self.log = ChfDeviceLog(self.clock.now, on_change=self._log_changed, timing=timing)
            self._log_owner: Callable[[DeviceLogChange], None] | None = None
        else:  # the CHF's log: its owner's callback (the CHF raising CS14) runs first
            self.log = log
            self._log_owner = log.on_change
            log.on_change = self._log_changed
        self.nodes: dict[bytes, HanNode] = {}
        self.upstream: list[Upstream] = []
        self.trace: list[TraceEvent] = []
        self.radio_up = True
        self.on_upstream: Callable[[Premises, Upstream], None] | None = None
        self.on_log_change: Callable[[Premises, DeviceLogChange], None] | None = None
        for hub_device in (self.chf, self.gpf):
            if hub_device is not None:
                hub_device.on_alert = self._hub_alert

    # ------------------------------------------------------------------ devices

    def add_device(self, device: Device, *, install_code: bytes | None = None, link: LinkModel | None = None,
                   uplink: LinkModel | None = None, wake: WakeSchedule | None = None) -> HanNode:
        """Put a device in radio range of the hub (not joined yet); ``wake`` makes it sleepy."""
        self.network.check_clock(device)
        eui = device.eui
        if eui in self.nodes or eui in self._hub_euis():
            raise ValueError(f"{eui.hex().upper()} is already on premises {self.name!r}")
        down = link or self.default_link
        node = HanNode(device, Link(uplink or down, self._seed(eui, "up")), Link(down, self._seed(eui, "down")),
                       None if install_code is None else bytes(install_code), wake)
        device.on_alert = self._device_alert
        if self.gpf is not None and device.profile.kind == "GSME":
            node.on_wake = self._report_to_mirror
        self.nodes[eui] = node
        return node

    def node(self, eui: bytes) -> HanNode:
        try:
            return self.nodes[bytes(eui)]
        except KeyError:
            raise KeyError(f"{bytes(eui).hex().upper()} is not a device of premises {self.name!r}") from None

    def bind(self, a: bytes, b: bytes) -> None:
        """Record two devices as GBCS HAN peers of each other (their KA/DS keys verify device-to-device commands)."""
        da, db = self._device(a), self._device(b)
        da.join(db.eui, db.profile.kind, db.security.keys.ka.public_key(), db.security.keys.ds.public_key())
        db.join(da.eui, da.profile.kind, da.security.keys.ka.public_key(), da.security.keys.ds.public_key())

    # ------------------------------------------------------------------ joining

    def join(self, eui: bytes, link_key: bytes | None = None) -> Admission:
        """The device asks to join; without ``link_key`` it tries its remembered key, then its install code's."""
        node = self.node(eui)
        if not node.powered or not self.radio_up:
            admission = Admission(False, reason="device powered off" if not node.powered else "radio outage")
        else:
            candidates = [link_key] if link_key is not None else self._candidate_keys(node)
            admission = Admission(False, reason="no link key to present")
            for key in candidates:
                admission = self.log.admit(node.eui, key)
                if admission.admitted:
                    node.joined, node.link_key = True, bytes(key)
                    break
        self._trace("join" if admission.admitted else "join-refused", node.eui, HUB,
                    detail=admission.source or admission.reason)
        if admission.admitted and node.queue:
            self._arm_wake(node)
        return admission

    def leave(self, eui: bytes) -> bool:
        """The device leaves the network (it keeps its link key)."""
        node = self.node(eui)
        was, node.joined = node.joined, False
        return was

    def _candidate_keys(self, node: HanNode) -> list[bytes]:
        keys = [] if node.link_key is None else [node.link_key]
        if node.install_code is not None:
            code_key = link_key_for_code(node.install_code, self.log.generation)
            if code_key not in keys:
                keys.append(code_key)
        return keys

    def _log_changed(self, change: DeviceLogChange) -> None:
        if change.reason == REMOVED and change.eui in self.nodes:
            self.nodes[change.eui].joined = False
        elif change.reason == RESTORED:
            for node in self.nodes.values():
                entry = self.log.entry(node.eui)
                if entry is None or entry.link_key != node.link_key:
                    node.joined = False
        if self._log_owner is not None:
            self._log_owner(change)
        elif self.cs14:
            raise_device_log_changed(self.chf, change)
        if self.on_log_change is not None:
            self.on_log_change(self, change)

    # ------------------------------------------------------------------ power and radio

    def power_off(self, eui: bytes) -> None:
        """The device loses power: it neither receives nor sends, and must rejoin after power on."""
        node = self.node(eui)
        node.powered = node.joined = False
        self._trace("power-off", node.eui, HUB)

    def power_on(self, eui: bytes, *, rejoin: bool = True) -> Admission | None:
        """Power restored; by default the device rejoins with its remembered key."""
        node = self.node(eui)
        node.powered = True
        self._trace("power-on", node.eui, HUB)
        return self.join(node.eui) if rejoin else None

    def set_radio(self, up: bool) -> None:
        """Start or end a radio outage: while down, nothing crosses any HAN link of these premises."""
        self.radio_up = up
        self._trace("radio-up" if up else "radio-down", HUB, HUB)

    def radio_outage(self, duration: float, start: float | None = None) -> None:
        """A radio outage from ``start`` (default now) lasting ``duration`` virtual seconds."""
        begin = self.clock.now() if start is None else start
        self.clock.schedule(begin, self.set_radio, False)
        self.clock.schedule(begin + duration, self.set_radio, True)

    # ------------------------------------------------------------------ traffic

    def send_command(self, raw: bytes, recipient: bytes | None = None) -> None:
        """A WAN command arriving at the CHF, routed to its recipient (from the frame unless given)."""
        if recipient is None:
            try:
                recipient = parse_frame(raw).recipient
            except DecodeError as exc:
                self._trace("dropped", HUB, HUB, raw, f"unreadable command: {exc}")
                return
        hub_device = self._hub_device(recipient)
        if hub_device is not None:
            self._handle_local(hub_device, HUB, raw)
        elif recipient in self.nodes:
            self._to_device(self.nodes[recipient], HUB, raw, COMMAND)
        else:
            self._trace("dropped", HUB, recipient, raw, "not on these premises")

    def send(self, src: bytes, dst: bytes, raw: bytes) -> None:
        """HAN-only traffic: ``src`` sends a command to ``dst`` (a HAN device, the CHF or the GPF) via the hub."""
        node = self.node(src)
        dst = bytes(dst)
        self._from_device(node, dst, raw, COMMAND)

    def alert_storm(self, eui: bytes, alert_code: int, every_ms: float, count: int) -> AlertStorm:
        """``eui`` raises ``alert_code`` every ``every_ms`` ms, ``count`` times (a powered-off device raises none)."""
        eui = bytes(eui)
        hub_device = self._hub_device(eui)
        node = None if hub_device is not None else self.node(eui)
        device = hub_device or node.device  # type: ignore[union-attr]

        def fire(code: int) -> bool:
            if node is not None and not node.powered:
                return False
            return device.raise_alert(code) is not None

        return AlertStorm(self.clock, alert_code, every_ms, count, fire)

    def upstream_of(self, kind: str | None = None, source: bytes | None = None) -> list[Upstream]:
        """The upstream messages of a kind and/or from a source."""
        return [u for u in self.upstream if (kind is None or u.kind == kind) and (source is None or u.source == source)]

    # ------------------------------------------------------------------ internals: routing

    def _handle_local(self, device: Device, src: bytes, raw: bytes) -> None:
        """A command for the CHF or GPF (on the hub): handled at once, the reply to ``src``."""
        self._trace("deliver", src, device.eui, raw)
        out = device.handle(raw)
        for alert in out.alerts:
            self._to_upstream(device.eui, ALERT, alert)
        if out.response is not None:
            self.clock.call_later(out.delay, self._hub_reply, device.eui, src, out.response)

    def _hub_reply(self, origin: bytes, dst: bytes, raw: bytes) -> None:
        if dst == HUB:
            self._to_upstream(origin, RESPONSE, raw)
        elif dst in self.nodes:
            self._to_device(self.nodes[dst], origin, raw, RESPONSE)

    def _to_device(self, node: HanNode, src: bytes, raw: bytes, kind: str) -> None:
        """From the hub to a HAN device: queued while a sleepy device sleeps, else over its down link."""
        if not node.powered or not node.joined:
            self._trace("dropped", src, node.eui, raw, "powered off" if not node.powered else "not joined")
            return
        if node.wake is not None and not node.wake.is_awake(self.clock.now()):
            node.queue.append((src, raw, kind))
            self._trace("queued", src, node.eui, raw, kind)
            self._arm_wake(node)
            return
        self._transmit(node.down, src, node.eui, raw, self._device_receives, node, src, raw, kind)

    def _device_receives(self, node: HanNode, src: bytes, raw: bytes, kind: str) -> None:
        if not node.powered or not node.joined:
            self._trace("dropped", src, node.eui, raw, "powered off" if not node.powered else "not joined")
            return
        self._trace("deliver", src, node.eui, raw, kind)
        if kind != COMMAND:
            node.inbox.append((self.clock.now(), src, raw))
            return
        out = node.device.handle(raw)
        for alert in out.alerts:
            self._from_device(node, HUB, alert, ALERT)
        if out.response is not None:
            self.clock.call_later(out.delay, self._from_device, node, src, out.response, RESPONSE)

    def _from_device(self, node: HanNode, dst: bytes, raw: bytes, kind: str) -> None:
        """From a HAN device over its up link to the hub, then upstream, to the hub devices or another device."""
        if not node.powered or not node.joined:
            self._trace("dropped", node.eui, dst, raw, "powered off" if not node.powered else "not joined")
            return
        self._transmit(node.up, node.eui, dst, raw, self._hub_receives, node.eui, dst, raw, kind)

    def _hub_receives(self, src: bytes, dst: bytes, raw: bytes, kind: str) -> None:
        if dst == HUB:
            self._to_upstream(src, kind, raw)
            return
        hub_device = self._hub_device(dst)
        if hub_device is not None and kind == COMMAND:
            self._handle_local(hub_device, src, raw)
        elif dst in self.nodes:
            self._to_device(self.nodes[dst], src, raw, kind)
        else:
            self._trace("dropped", src, dst, raw, "not on these premises")

    def _transmit(self, link: Link, src: bytes, dst: bytes, raw: bytes,
                  arrive: Callable[..., None], *args: object) -> None:
        """Send one message over ``link``: each copy that survives arrives after its delay."""
        self._trace("send", src, dst, raw)
        if not self.radio_up:
            self._trace("lost", src, dst, raw, "radio outage")
            return
        delays = link.delays()
        if not delays:
            self._trace("lost", src, dst, raw, "link loss")
        for delay in delays:
            self.clock.call_later(delay, self._arrive, src, dst, raw, arrive, args)

    def _arrive(self, src: bytes, dst: bytes, raw: bytes, arrive: Callable[..., None], args: tuple) -> None:
        if not self.radio_up:
            self._trace("lost", src, dst, raw, "radio outage")
            return
        arrive(*args)

    def _to_upstream(self, source: bytes, kind: str, raw: bytes) -> None:
        item = Upstream(self.clock.now(), source, kind, raw)
        self.upstream.append(item)
        self._trace("upstream", source, HUB, raw, kind)
        if self.on_upstream is not None:
            self.on_upstream(self, item)

    # ------------------------------------------------------------------ internals: sleepy devices, alerts

    def _arm_wake(self, node: HanNode) -> None:
        if node.wake_timer is None and node.powered and node.wake is not None:
            node.wake_timer = self.clock.schedule(node.wake.next_wake(self.clock.now()), self._wake, node)

    def _wake(self, node: HanNode) -> None:
        """A sleepy device wakes: it polls the hub and receives what was queued for it."""
        node.wake_timer = None
        if not node.powered or not node.joined:
            return  # the queue waits for power and a rejoin
        self._trace("wake", node.eui, HUB, detail=f"{len(node.queue)} queued")
        if node.on_wake is not None:
            node.on_wake(node)
        while node.queue:
            src, raw, kind = node.queue.popleft()
            self._transmit(node.down, src, node.eui, raw, self._device_receives, node, src, raw, kind)

    def wake(self, eui: bytes) -> None:
        """A sleepy device wakes now, out of its schedule (e.g. a button press): it reports and polls."""
        node = self.node(eui)
        if node.wake_timer is not None:
            node.wake_timer.cancel()
        self._wake(node)

    def _report_to_mirror(self, node: HanNode) -> None:
        """A waking GSME reports its ZCL values to the GPF mirror."""
        if self.gpf is not None:
            copied = sync_mirror(self.gpf, node.device, self.clock.now())
            self._trace("mirror", node.eui, self.gpf.eui, detail=f"{copied} attributes")

    def _device_alert(self, device: Device, alert: bytes) -> None:
        """An alert a HAN device raised outside a command (storms, future-dated execution)."""
        if device.outbox and device.outbox[-1] is alert:
            device.outbox.pop()  # the network carries it
        node = self.nodes.get(device.eui)
        if node is not None:
            self._from_device(node, HUB, alert, ALERT)

    def _hub_alert(self, device: Device, alert: bytes) -> None:
        """An alert the CHF or GPF raised outside a command: straight to the WAN side."""
        if device.outbox and device.outbox[-1] is alert:
            device.outbox.pop()
        self._to_upstream(device.eui, ALERT, alert)

    # ------------------------------------------------------------------ internals: helpers

    def _hub_euis(self) -> set[bytes]:
        return {d.eui for d in (self.chf, self.gpf) if d is not None}

    def _hub_device(self, eui: bytes) -> Device | None:
        for device in (self.chf, self.gpf):
            if device is not None and device.eui == eui:
                return device
        return None

    def _device(self, eui: bytes) -> Device:
        return self._hub_device(bytes(eui)) or self.node(eui).device

    def _seed(self, eui: bytes, direction: str) -> str:
        return f"{self.network.seed}/{self.name}/{eui.hex()}/{direction}"

    def _trace(self, event: str, src: bytes, dst: bytes, message: bytes = b"", detail: str = "") -> None:
        self.trace.append(TraceEvent(self.clock.now(), event, src, dst, message, detail))


class HanNetwork:
    """Many isolated premises on one virtual clock; ``seed`` makes every link's fate reproducible."""

    def __init__(self, clock: VirtualClock, seed: int = 0) -> None:
        self.clock = clock
        self.seed = seed
        self.premises: dict[str, Premises] = {}

    def add_premises(self, name: str, chf: Device, gpf: Device | None = None, **options: object) -> Premises:
        """New premises around ``chf`` (options: timing, link, cs14, see :class:`Premises`)."""
        if name in self.premises:
            raise ValueError(f"premises {name!r} already exist")
        premises = Premises(self, name, chf, gpf, **options)  # type: ignore[arg-type]
        self.premises[name] = premises
        return premises

    def check_clock(self, device: Device) -> Device:
        """A device must run on the network's clock."""
        if device.clock is not self.clock:
            raise ValueError(f"{device.eui.hex().upper()} runs on another clock than the HAN")
        return device
