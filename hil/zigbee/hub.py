"""The Comms Hub side of the SE application layer: tunnels, GBCS delivery, Time and Keep-Alive.

:class:`TunnelHub` is radio-agnostic: it gets every profile-0x0109 frame of the clusters it
serves (:meth:`handle`) and sends through an async ``send(nwk, cluster, dst_ep, zcl_bytes)``.
The bridge plugs it into zigpy; tests can drive it directly.

Delivery of one GBCS command (:meth:`deliver`): the command is split into TransferData
fragments; each fragment waits for the device's ZCL Default Response (flow control).  GBCS
messages coming back through the tunnel are collected: the first response (CRA 2) from the
recipient is the response, alerts (CRA 3) from any device are the alerts.  The Default
Response to the last fragment means the device has finished with the command, so collection
stops there; a device that never sends one is given ``response_timeout`` for its response.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gbcs.errors import DecodeError
from gbcs.framing import parse_frame

from . import cbke, tunnel, zcl
from .zcl import ZclFrame

LOG = logging.getLogger(__name__)
Send = Callable[[int, int, int, bytes], Awaitable[None]]


class LinkDown(ConnectionError):
    """The radio link went away while a delivery was waiting."""


@dataclass
class Tunnel:
    """One open tunnel to a device."""

    tunnel_id: int
    eui: bytes
    nwk: int
    endpoint: int
    max_incoming: int
    reassembler: tunnel.Reassembler = field(default_factory=tunnel.Reassembler)


@dataclass
class Collector:
    """What came back while one command was being delivered."""

    recipient: bytes
    response: bytes | None = None
    alerts: list[bytes] = field(default_factory=list)
    got_response: asyncio.Event = field(default_factory=asyncio.Event)
    fragments_acked: int = 0


class TunnelHub:
    """Tunneling server, Time server and Keep-Alive server of the hub."""

    def __init__(self, send: Send, *, fragment_size: int = tunnel.DEFAULT_FRAGMENT, ack_timeout: float = 5.0,
                 response_timeout: float = 10.0, clock: Callable[[], float] = time.time,
                 eui_of: Callable[[int], bytes | None] = lambda nwk: None,
                 ke_backend: Callable[[bytes], cbke.CryptoBackend] | None = None) -> None:
        self.send = send
        self.fragment_size = fragment_size
        self.ack_timeout = ack_timeout
        self.response_timeout = response_timeout
        self.clock = clock
        self.eui_of = eui_of
        self.tunnels: dict[bytes, Tunnel] = {}
        self._ids = itertools.count(1)
        self._tsn = itertools.count(1)
        self._acks: dict[tuple[int, int], asyncio.Future[int]] = {}
        self.collector: Collector | None = None
        self.last_collector: Collector | None = None
        self.stray: list[bytes] = []  # GBCS alerts received outside a delivery (go out with the next one)
        self.tunnel_opened = asyncio.Event()
        self.ke_backend = ke_backend  # Key Establishment server: backend factory for the hub's EUI
        self.own_eui = bytes(8)
        self.key_establishment: dict[bytes, cbke.KeyEstablishment] = {}
        self.link_keys: dict[bytes, bytes] = {}  # CBKE results per device
        self.log: list[str] = []
        self._tasks: set[asyncio.Future[None]] = set()

    # ------------------------------------------------------------------ incoming

    def handle(self, nwk: int, cluster: int, src_ep: int, data: bytes) -> bool:
        """Process one SE frame from a device; True when it was for a cluster served here."""
        try:
            frame = ZclFrame.decode(data)
        except zcl.ZclError:
            return False
        if not frame.cluster_specific and frame.command == zcl.DEFAULT_RESPONSE and len(frame.payload) >= 2:
            future = self._acks.pop((nwk, frame.tsn), None)
            if future is not None and not future.done():
                future.set_result(frame.payload[1])
            return cluster in (zcl.TUNNELING, zcl.TIME, zcl.KEEP_ALIVE)
        if cluster == zcl.KEY_ESTABLISHMENT:
            return self._key_establishment(nwk, src_ep, frame)
        if cluster == zcl.TUNNELING:
            self._tunneling(nwk, src_ep, frame)
            return True
        if cluster in (zcl.TIME, zcl.KEEP_ALIVE) and not frame.cluster_specific \
                and frame.command == zcl.READ_ATTRIBUTES:
            values = zcl.time_attributes(self.clock()) if cluster == zcl.TIME else zcl.keep_alive_attributes()
            self._spawn(self.send(nwk, cluster, src_ep, zcl.read_attributes_response(frame, values).encode()))
            return True
        return False

    def _key_establishment(self, nwk: int, src_ep: int, frame: ZclFrame) -> bool:
        """CBKE as the Trust Centre (KE server), when a crypto backend is configured."""
        eui = self.eui_of(nwk)
        if self.ke_backend is None or eui is None or frame.server_to_client or not frame.cluster_specific:
            return False
        if frame.command == cbke.INITIATE:
            self.key_establishment[eui] = cbke.KeyEstablishment(self.ke_backend(self.own_eui), self.own_eui, False)
        session = self.key_establishment.get(eui)
        if session is None:
            return True
        reply = session.receive(frame.command, frame.payload)
        if session.state == "done" and session.link_key is not None:
            self.link_keys[eui] = session.link_key
            self.log.append(f"CBKE with {eui.hex().upper()} done")
        if reply is not None:
            out = ZclFrame(reply[0], reply[1], frame.tsn, server_to_client=True, disable_default_response=True)
            self._spawn(self.send(nwk, zcl.KEY_ESTABLISHMENT, src_ep, out.encode()))
        return True

    def _spawn(self, coro: Awaitable[None]) -> None:
        """Send a reply in the background (a failed reply is logged: the device will retry or time out)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            LOG.debug("reply failed: %r", task.exception())

    def _tunneling(self, nwk: int, src_ep: int, frame: ZclFrame) -> None:
        if frame.server_to_client:
            return
        eui = self.eui_of(nwk)
        if frame.command == tunnel.REQUEST_TUNNEL:
            request = tunnel.RequestTunnel.parse(frame.payload)
            if eui is None:
                status, tunnel_id = tunnel.STATUS_BUSY, 0xFFFF
            elif request.protocol != tunnel.PROTOCOL_GB_HRGP:
                status, tunnel_id = tunnel.STATUS_PROTOCOL_NOT_SUPPORTED, 0xFFFF
            else:
                old = self.tunnels.get(eui)
                tunnel_id = old.tunnel_id if old else next(self._ids) & 0xFFFF
                self.tunnels[eui] = Tunnel(tunnel_id, eui, nwk, src_ep, request.max_incoming)
                status = tunnel.STATUS_SUCCESS
                self.log.append(f"tunnel {tunnel_id} to {eui.hex().upper()}")
                self.tunnel_opened.set()
            response = tunnel.RequestTunnelResponse(tunnel_id, status, 1500).frame(frame.tsn)
            self._spawn(self.send(nwk, zcl.TUNNELING, src_ep, response.encode()))
        elif frame.command == tunnel.CLOSE_TUNNEL and eui is not None:
            self.tunnels.pop(eui, None)
        elif frame.command == tunnel.TRANSFER_DATA_FROM_CLIENT:
            self._transfer_data(nwk, src_ep, eui, frame)

    def _transfer_data(self, nwk: int, src_ep: int, eui: bytes | None, frame: ZclFrame) -> None:
        tunnel_id, data = tunnel.parse_transfer_data(frame.payload)
        entry = self.tunnels.get(eui) if eui is not None else None
        if entry is None or entry.tunnel_id != tunnel_id:
            error = tunnel.transfer_data_error(tunnel_id, tunnel.ERROR_NO_SUCH_TUNNEL, frame.tsn, from_server=True)
            self._spawn(self.send(nwk, zcl.TUNNELING, src_ep, error.encode()))
            return
        entry.nwk = nwk
        try:
            message = entry.reassembler.feed(data)
        except tunnel.TunnelError as exc:
            self.log.append(f"{entry.eui.hex().upper()}: {exc}")
            return
        if not frame.disable_default_response:
            self._spawn(self.send(nwk, zcl.TUNNELING, src_ep, zcl.default_response(frame).encode()))
        if message is not None:
            self._gbcs(entry.eui, message)

    def _gbcs(self, source: bytes, message: bytes) -> None:
        try:
            cra = parse_frame(message).cra
        except DecodeError:
            cra = 3  # cannot tell: keep it as an alert so nothing is lost
        collector = self.collector
        if collector is not None and cra == 2 and source == collector.recipient and collector.response is None:
            collector.response = message
            collector.got_response.set()
        elif cra == 2:
            self.log.append(f"unexpected response from {source.hex().upper()} dropped")
        elif collector is not None:
            collector.alerts.append(message)
        else:
            self.stray.append(message)

    # ------------------------------------------------------------------ delivery

    def link_lost(self) -> None:
        """Fail every waiter: the radio went away."""
        for future in self._acks.values():
            if not future.done():
                future.set_exception(LinkDown("radio link lost"))
        self._acks.clear()

    async def _send_fragment(self, entry: Tunnel, chunk: bytes) -> int:
        tsn = next(self._tsn) & 0xFF
        frame = tunnel.transfer_data(entry.tunnel_id, chunk, tsn, from_server=True)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._acks[(entry.nwk, tsn)] = future
        try:
            await self.send(entry.nwk, zcl.TUNNELING, entry.endpoint, frame.encode())
            return await asyncio.wait_for(future, self.ack_timeout)
        finally:
            self._acks.pop((entry.nwk, tsn), None)

    async def deliver(self, recipient: bytes, command: bytes) -> Collector:
        """Send ``command`` through the recipient's tunnel; see the module text for when it ends."""
        entry = self.tunnels[recipient]
        collector = Collector(recipient, alerts=self.stray[:])
        self.stray.clear()
        self.collector = self.last_collector = collector
        size = max(8, min(self.fragment_size, entry.max_incoming - 1))
        try:
            finished = True
            for chunk in tunnel.fragment(command, size):
                try:
                    status = await self._send_fragment(entry, chunk)
                except TimeoutError:
                    finished = False
                    break
                except LinkDown:
                    raise
                except Exception as exc:  # noqa: BLE001 - the radio refused the frame: no response
                    self.log.append(f"{recipient.hex().upper()}: send failed: {exc!r}")
                    return collector
                if status != zcl.SUCCESS:
                    self.log.append(f"{recipient.hex().upper()}: fragment refused (status 0x{status:02X})")
                    return collector
                collector.fragments_acked += 1
            if not finished and collector.response is None:
                try:
                    await asyncio.wait_for(collector.got_response.wait(), self.response_timeout)
                except TimeoutError:
                    pass
            return collector
        finally:
            self.collector = None
