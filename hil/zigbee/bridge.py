"""``ZigbeeBridge``: a DeliveryTarget on bellows/zigpy acting as the Comms Hub side of a SE HAN.

It starts an EZSP radio (forming a network when the radio has none), registers a Smart
Energy endpoint (profile 0x0109) through ``CONF_ADDITIONAL_ENDPOINTS``, permits each device
to join with the link key of its install code, serves the Tunneling (GB-HRGP), Time and
Keep-Alive clusters through :class:`~hil.zigbee.hub.TunnelHub`, and delivers GBCS commands
through the recipient's tunnel.  zigpy drops profile-0x0109 ZCL by default, so the bridge
uses subclasses (:func:`app_class`): the application hands SE frames of the served clusters
to the hub and creates devices whose ZCL parser accepts profile 0x0109 (so zigpy's interview
completes).  Nothing in site-packages is patched.

Reconnection and retry policy (port loss, NCP reset): the bridge reconnects by itself
(``reconnect_interval``).  A delivery that meets a lost link waits for the link to come back
(up to ``reconnect_timeout``); it is sent again only when no fragment had been acknowledged
by the device (so the device cannot have acted on it); otherwise it is reported with no
response (DUIS E21).  Every delivery returns a :class:`~proving.premises.Delivery`, so the
front end audits every request.

bellows and zigpy are imported lazily (inside functions): importing this module needs neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from emulator.han.install_codes import link_key, link_key_for_code
from gbcs.errors import DecodeError
from gbcs.framing import parse_frame
from proving.premises import Delivery

from . import zcl
from .hub import LinkDown, TunnelHub

LOG = logging.getLogger(__name__)
SE_ENDPOINT = 9
SE_DEVICE_ID_ESI = 0x0500
DUIS_TYPES = frozenset({"ESME", "GSME", "CHF", "GPF", "PPMID", "HCALCS", "IHD", "CAD"})
_CLASSES: dict[str, Any] = {}


def app_class() -> type:
    """The bellows ControllerApplication subclass with SE handling (built on first use)."""
    if "app" in _CLASSES:
        return _CLASSES["app"]
    import bellows.zigbee.application as bellows_app
    import zigpy.device
    from zigpy.zcl import foundation

    class SeDevice(zigpy.device.Device):
        """A zigpy device whose ZCL parser also accepts the Smart Energy profile."""

        def _parse_packet_header(self, packet: Any) -> Any:
            if packet.profile_id == zcl.SE_PROFILE and packet.src_ep != 0:
                hdr, _ = foundation.ZCLHeader.deserialize(packet.data.serialize())
                key = zigpy.device.ResponseKey(endpoint_id=packet.src_ep, cluster_id=packet.cluster_id,
                                               direction=hdr.frame_control.direction, tsn=hdr.tsn)
                return hdr, key
            return super()._parse_packet_header(packet)

    class HilControllerApplication(bellows_app.ControllerApplication):
        """bellows' application with an SE hub in front of zigpy's packet handling."""

        hub: TunnelHub | None = None
        _recent: dict[tuple[Any, ...], float] | None = None

        def _duplicate(self, packet: Any) -> bool:
            """bellows may register its callback handler twice after a reset: drop exact repeats."""
            import time

            now = time.monotonic()
            if self._recent is None:
                self._recent = {}
            key = (int(packet.src.address), packet.src_ep, packet.cluster_id, packet.tsn, packet.data.serialize())
            self._recent = {k: v for k, v in self._recent.items() if now - v < 2.0}
            if key in self._recent:
                return True
            self._recent[key] = now
            return False

        def add_device(self, ieee: Any, nwk: Any) -> Any:
            device = SeDevice(self, ieee, nwk)
            self.devices[ieee] = device
            return device

        def packet_received(self, packet: Any) -> None:
            if (self.hub is not None and packet.profile_id == zcl.SE_PROFILE
                    and packet.cluster_id in (zcl.TUNNELING, zcl.TIME, zcl.KEEP_ALIVE, zcl.KEY_ESTABLISHMENT)
                    and packet.src.addr_mode == packet.src.addr_mode.NWK):
                if self._duplicate(packet):
                    return
                if self.hub.handle(int(packet.src.address), packet.cluster_id, packet.src_ep,
                                   packet.data.serialize()):
                    return
            super().packet_received(packet)

    _CLASSES["app"] = HilControllerApplication
    return HilControllerApplication


def install_code_key(code: bytes) -> bytes:
    """The TC link key of an install code given with its CRC (18 octets, CRC checked) or without (16)."""
    return link_key(code) if len(code) == 18 else link_key_for_code(code)


def _eui64(eui: bytes) -> Any:
    import zigpy.types as zt

    return zt.EUI64(bytes(eui)[::-1])


class ZigbeeBridge:
    """GBCS delivery to devices on a Zigbee SE HAN through an EZSP radio (see the module text)."""

    def __init__(self, port: str, install_codes: dict[bytes, bytes], *, device_types: dict[bytes, str] | None = None,
                 local: Any = None, capabilities: Any = None, baudrate: int = 115200, se_endpoint: int = SE_ENDPOINT,
                 permit_seconds: int = 60, response_timeout: float = 10.0, ack_timeout: float = 5.0,
                 reconnect_interval: float = 0.5, reconnect_timeout: float = 30.0,
                 clock: Callable[[], float] | None = None, ke_backend: Any = None) -> None:
        self.port = port
        self.install_codes = {bytes(e): bytes(c) for e, c in install_codes.items()}
        self.link_keys = {eui: install_code_key(code) for eui, code in self.install_codes.items()}  # fail early
        self.device_types = dict(device_types or {})
        self.local = local
        self.capabilities = capabilities  # optional: anything with supports(eui, message_code, payload_type)
        self.baudrate = baudrate
        self.se_endpoint = se_endpoint
        self.permit_seconds = permit_seconds
        self.response_timeout = response_timeout
        self.ack_timeout = ack_timeout
        self.reconnect_interval = reconnect_interval
        self.reconnect_timeout = reconnect_timeout
        self.clock = clock
        self.ke_backend = ke_backend  # CBKE crypto backend factory (EUI -> backend); None: KE not served
        self.app: Any = None
        self.hub: TunnelHub | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._up: asyncio.Event | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._stopping = False
        self.events: list[str] = []  # link events: "lost", "reconnected" (tests and reports)

    # ------------------------------------------------------------------ start / stop

    def config(self) -> dict[str, Any]:
        import zigpy.config as zc

        endpoint = {"endpoint": self.se_endpoint, "profile": zcl.SE_PROFILE, "device_type": SE_DEVICE_ID_ESI,
                    "device_version": 0,
                    "input_clusters": [zcl.BASIC, zcl.TIME, zcl.KEEP_ALIVE, zcl.TUNNELING, zcl.KEY_ESTABLISHMENT],
                    "output_clusters": [zcl.KEY_ESTABLISHMENT]}
        return {zc.CONF_DEVICE: {zc.CONF_DEVICE_PATH: self.port, zc.CONF_DEVICE_BAUDRATE: self.baudrate,
                                 zc.CONF_DEVICE_FLOW_CONTROL: None},
                zc.CONF_DATABASE: None, "use_thread": False, zc.CONF_ADDITIONAL_ENDPOINTS: [endpoint]}

    async def astart(self, *, form: bool = True) -> None:
        """Start the radio (forming a network if needed), the hub, and permit the devices to join."""
        import time

        self.loop = asyncio.get_running_loop()
        self._up = asyncio.Event()
        self.hub = TunnelHub(self._send, ack_timeout=self.ack_timeout, response_timeout=self.response_timeout,
                             clock=self.clock or time.time, eui_of=self._eui_of, ke_backend=self.ke_backend)
        cls = app_class()
        self.app = cls(self.config())
        self.app.hub = self.hub
        self.app.add_listener(self)
        await self.app.startup(auto_form=form)
        self.hub.own_eui = bytes(self.app.state.node_info.ieee.serialize())[::-1]
        self._up.set()
        await self.permit()

    async def permit(self, seconds: int | None = None) -> None:
        """Permit every device with an install code to join with its link key."""
        for eui, key in self.link_keys.items():
            await self.app.permit_with_link_key(_eui64(eui), _key(key), seconds or self.permit_seconds)

    async def await_devices(self, euis: list[bytes] | None = None, timeout: float = 20.0) -> list[bytes]:
        """Wait until the devices (default: all with install codes) have a tunnel open; returns the missing."""
        assert self.hub is not None
        wanted = list(euis if euis is not None else self.install_codes)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            missing = [e for e in wanted if e not in self.hub.tunnels or self.device_type(e) is None]
            if not missing or asyncio.get_running_loop().time() > deadline:
                return missing
            await asyncio.sleep(0.05)

    async def astop(self) -> None:
        self._stopping = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if self.app is not None:
            with contextlib.suppress(Exception):
                await self.app.shutdown(db=False)

    def start(self, *, form: bool = True, wait_devices: float = 20.0) -> list[bytes]:
        """Run the bridge in a background thread with its own loop; returns the devices still missing."""
        ready: threading.Event = threading.Event()
        result: dict[str, Any] = {}

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.astart(form=form))
                result["missing"] = loop.run_until_complete(self.await_devices(timeout=wait_devices))
            except Exception as exc:  # noqa: BLE001 - reported to the caller of start()
                result["error"] = exc
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.astop())
            _cancel_all(loop)
            loop.close()

        self._thread = threading.Thread(target=run, name="zigbee-bridge", daemon=True)
        self._thread.start()
        ready.wait()
        if "error" in result:
            raise result["error"]
        return result["missing"]

    def stop(self) -> None:
        if self.loop is not None and self._thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(15)
            self._thread = None

    # ------------------------------------------------------------------ zigpy listener events

    def connection_lost(self, exc: Exception | None) -> None:
        if self._stopping:
            return
        LOG.warning("radio connection lost: %r", exc)
        self.events.append("lost")
        if self._up is not None:
            self._up.clear()
        if self.hub is not None:
            self.hub.link_lost()
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        while True:
            await asyncio.sleep(self.reconnect_interval)
            with contextlib.suppress(Exception):
                await self.app.disconnect()
            try:
                await self.app.startup(auto_form=False)
            except Exception as exc:  # noqa: BLE001 - keep trying until the port is back
                LOG.debug("reconnect failed: %r", exc)
                continue
            self.events.append("reconnected")
            assert self._up is not None
            self._up.set()
            return

    # ------------------------------------------------------------------ addressing

    def _eui_of(self, nwk: int) -> bytes | None:
        if self.app is None:
            return None
        for ieee, device in self.app.devices.items():
            if int(device.nwk) == nwk and int(device.nwk) != 0:
                return bytes(ieee.serialize())[::-1]
        return None

    def _device(self, eui: bytes) -> Any:
        return self.app.devices.get(_eui64(eui)) if self.app is not None else None

    async def _send(self, nwk: int, cluster: int, dst_ep: int, data: bytes) -> None:
        import zigpy.types as zt

        if self._up is not None and not self._up.is_set():
            raise LinkDown("radio link is down")
        packet = zt.ZigbeePacket(
            src=zt.AddrModeAddress(addr_mode=zt.AddrMode.NWK, address=0x0000), src_ep=self.se_endpoint,
            dst=zt.AddrModeAddress(addr_mode=zt.AddrMode.NWK, address=nwk), dst_ep=dst_ep,
            tsn=data[1] if data[0] & 0x04 == 0 else data[3], profile_id=zcl.SE_PROFILE, cluster_id=cluster,
            data=zt.SerializableBytes(data), tx_options=zt.TransmitOptions.NONE, radius=0)
        try:
            await self.app.send_packet(packet)
        except Exception as exc:
            if self._up is not None and not self._up.is_set():
                raise LinkDown("radio link lost while sending") from exc
            raise

    # ------------------------------------------------------------------ DeliveryTarget

    def device_type(self, eui: bytes) -> str | None:
        eui = bytes(eui)
        if eui in self.device_types:
            return self.device_types[eui]
        device = self._device(eui)
        if device is not None and device.model in DUIS_TYPES:
            return str(device.model)
        if self.local is not None:
            return self.local.device_type(eui)
        return None

    def supports(self, eui: bytes, message_code: int, payload_type: str) -> bool:
        """What the device implements: from ``capabilities`` when given, else assume it does (it says ECS100)."""
        if self.capabilities is not None:
            return bool(self.capabilities.supports(eui, message_code, payload_type))
        if self.local is not None and self.local.device_type(eui) is not None and hasattr(self.local, "supports"):
            return bool(self.local.supports(eui, message_code, payload_type))
        return self.device_type(eui) is not None

    async def adeliver(self, command: bytes) -> Delivery:
        """Deliver in the bridge's loop (see the module text for the retry policy)."""
        try:
            recipient = parse_frame(command).recipient
        except DecodeError:
            return Delivery(None, reachable=True)
        if self.local is not None and self.local.device_type(recipient) is not None:
            return self.local.deliver(command)
        assert self.hub is not None and self._up is not None
        for attempt in range(2):
            if not await self._wait_up():
                return Delivery(None, reachable=True)
            if recipient not in self.hub.tunnels:
                return Delivery(None, reachable=self._device(recipient) is not None)
            try:
                got = await self.hub.deliver(recipient, command)
            except LinkDown:
                got = self.hub.last_collector
                if got is not None and got.fragments_acked == 0 and attempt == 0:
                    self.events.append("retry")
                    continue
                return Delivery(got.response if got else None, list(got.alerts) if got else [])
            return Delivery(got.response, list(got.alerts))
        return Delivery(None, reachable=True)

    async def _wait_up(self) -> bool:
        assert self._up is not None
        try:
            await asyncio.wait_for(self._up.wait(), self.reconnect_timeout)
        except TimeoutError:
            return False
        return True

    def deliver(self, command: bytes) -> Delivery:
        """Thread-safe synchronous delivery (the DCC front end calls this)."""
        assert self.loop is not None
        future = asyncio.run_coroutine_threadsafe(self.adeliver(command), self.loop)
        return future.result(self.reconnect_timeout + 4 * (self.response_timeout + self.ack_timeout))


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what zigpy left running (watchdog, OTA loop) before the loop closes."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _key(key: bytes) -> Any:
    import zigpy.types as zt

    return zt.KeyData(key)
