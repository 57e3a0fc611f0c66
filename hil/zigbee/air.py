"""The virtual air of the fake NCP: emulated SE nodes that join with install codes and speak ZDO/ZCL.

Each :class:`EmulatedNode` wraps one device of an :class:`~proving.premises.EmulatedPremises`
on SE endpoint 1 (profile 0x0109).  It answers the ZDO descriptor requests and Basic reads of
zigpy's interview, requests a GB-HRGP tunnel from the Comms Hub after joining, and hands each
complete GBCS message that arrives in TransferData to its device, sending the response and
then the alerts (in the order :meth:`EmulatedPremises.deliver` returns them) back through the
tunnel.  The TransferData that completed a command is acknowledged last, with a ZCL Default
Response: that tells the bridge the device has finished with the command.  Pure Python.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.han.install_codes import link_key_for_code

from . import cbke, tunnel, zcl
from .zcl import ZclFrame

ZDO_NODE_DESC_REQ, ZDO_SIMPLE_DESC_REQ, ZDO_ACTIVE_EP_REQ = 0x0002, 0x0004, 0x0005
ZDO_DEVICE_ANNCE = 0x0013
ZDO_NOT_SUPPORTED = 0x84
SE_ENDPOINT = 1
SE_DEVICE_IDS = {"ESME": 0x0501, "GSME": 0x0501, "CHF": 0x0500, "GPF": 0x0500, "PPMID": 0x0507, "HCALCS": 0x0502}
MANUFACTURER = "smetsim"


def default_install_code(eui: bytes) -> bytes:
    """The 16-octet install code (without CRC) the fake gives a device: derived from its EUI."""
    return hashlib.sha256(b"smetsim-hil-install-code" + bytes(eui)).digest()[:16]


@dataclass(frozen=True, slots=True)
class Aps:
    """The APS addressing of one frame on the virtual air."""

    profile: int
    cluster: int
    src_ep: int
    dst_ep: int


# (source NWK, APS, payload, broadcast?) -> None: what the air hands the NCP for the host
Emit = Callable[[int, Aps, bytes, bool], None]


def node_descriptor(logical_type: int, mains: bool = True) -> bytes:
    """A ZDO node descriptor (13 bytes): 2.4 GHz, FFD, security capable, allocate address."""
    capability = 0x80 | 0x40 | 0x02 | (0x0C if mains else 0x00) | (0x01 if logical_type == 0 else 0)
    return struct.pack("<BBBHBHHHB", logical_type, 0x40, capability, 0x1234, 0x52, 0x0080, 0x2C00, 0x0080, 0x00)


@dataclass
class EmulatedNode:
    """One emulated device on the air (``entry`` is a premises device entry)."""

    eui: bytes
    device_type: str
    entry: Any
    install_code: bytes
    nwk: int = 0
    joined: bool = False
    tunnel_id: int | None = None
    fragment_size: int = tunnel.DEFAULT_FRAGMENT
    reassembler: tunnel.Reassembler = field(default_factory=tunnel.Reassembler)
    tsn: int = 0
    from_hub: dict[int, dict[int, int | str | None]] = field(default_factory=dict)  # cluster -> attributes read

    @property
    def link_key(self) -> bytes:
        return link_key_for_code(self.install_code)

    def next_tsn(self) -> int:
        self.tsn = (self.tsn + 1) & 0xFF
        return self.tsn

    def simple_descriptor(self) -> bytes:
        inputs = [zcl.BASIC, zcl.KEY_ESTABLISHMENT]
        outputs = [zcl.TIME, zcl.KEEP_ALIVE, zcl.TUNNELING, zcl.KEY_ESTABLISHMENT]
        body = struct.pack("<BHHB", SE_ENDPOINT, zcl.SE_PROFILE, SE_DEVICE_IDS.get(self.device_type, 0x0501), 0)
        body += bytes((len(inputs),)) + b"".join(struct.pack("<H", c) for c in inputs)
        body += bytes((len(outputs),)) + b"".join(struct.pack("<H", c) for c in outputs)
        return body


class VirtualAir:
    """The emulated nodes, keyed by NWK address once joined; ``emit`` carries frames to the NCP."""

    def __init__(self, premises: Any, emit: Emit, *, codes: dict[bytes, bytes] | None = None,
                 ke_backend: Callable[[bytes], cbke.CryptoBackend] | None = None) -> None:
        self.premises = premises
        self.emit = emit
        self.nodes: dict[bytes, EmulatedNode] = {}
        for index, (eui, entry) in enumerate(premises.devices.items()):
            code = (codes or {}).get(eui, default_install_code(eui))
            self.nodes[eui] = EmulatedNode(eui, entry.device_type, entry, code, nwk=0x1000 + 0x111 * index)
        self.log: list[str] = []
        self.hub_endpoint = 9  # the coordinator's SE endpoint (the NCP learns it from addEndpoint)
        self.ke_backend = ke_backend  # when set, nodes run CBKE with the hub before requesting a tunnel
        self.key_establishment: dict[bytes, cbke.KeyEstablishment] = {}
        self.intercept: Callable[[EmulatedNode, int], bool] | None = None  # fault hook on TransferData

    def by_nwk(self, nwk: int) -> EmulatedNode | None:
        for node in self.nodes.values():
            if node.joined and node.nwk == nwk:
                return node
        return None

    # ------------------------------------------------------------------ joining

    def admit(self, transient_keys: dict[bytes, bytes]) -> list[EmulatedNode]:
        """Join every node whose install-code link key the Trust Centre was given."""
        joined = []
        for node in self.nodes.values():
            if node.joined:
                continue
            key = transient_keys.get(node.eui)
            if key is None:
                continue
            if key != node.link_key:
                self.log.append(f"{node.eui.hex().upper()}: wrong link key, join refused")
                continue
            node.joined = True
            joined.append(node)
        return joined

    def announce(self, node: EmulatedNode) -> None:
        """The node's ZDO Device_annce (broadcast), then its RequestTunnel to the hub."""
        payload = struct.pack("<BH", node.next_tsn(), node.nwk) + node.eui[::-1] + bytes((0x8E,))
        self.emit(node.nwk, Aps(zcl.ZDO_PROFILE, ZDO_DEVICE_ANNCE, 0, 0), payload, True)

    def read_from_hub(self, node: EmulatedNode, cluster: int, attributes: list[int]) -> None:
        """The node reads attributes of a hub server cluster (Time, Keep-Alive); see ``node.from_hub``."""
        frame = zcl.read_attributes(attributes, node.next_tsn())
        self.emit(node.nwk, Aps(zcl.SE_PROFILE, cluster, SE_ENDPOINT, self.hub_endpoint), frame.encode(), False)

    def after_join(self, node: EmulatedNode) -> None:
        """Key establishment with the Trust Centre (when configured), then the tunnel request."""
        if self.ke_backend is None:
            self.request_tunnel(node)
            return
        session = cbke.KeyEstablishment(self.ke_backend(node.eui), node.eui, initiator=True)
        self.key_establishment[node.eui] = session
        command, payload = session.start()
        frame = ZclFrame(command, payload, node.next_tsn(), disable_default_response=True)
        self.emit(node.nwk, Aps(zcl.SE_PROFILE, zcl.KEY_ESTABLISHMENT, SE_ENDPOINT, self.hub_endpoint),
                  frame.encode(), False)

    def _key_establishment(self, node: EmulatedNode, aps: Aps, frame: ZclFrame) -> None:
        session = self.key_establishment.get(node.eui)
        if session is None or not frame.server_to_client:
            return
        reply = session.receive(frame.command, frame.payload)
        if reply is not None:
            out = ZclFrame(reply[0], reply[1], node.next_tsn(), disable_default_response=True)
            self._reply(node, aps, out.encode())
        if session.state == "done":
            self.log.append(f"{node.eui.hex().upper()}: CBKE done")
        if session.state in ("done", "terminated"):
            self.request_tunnel(node)

    def request_tunnel(self, node: EmulatedNode) -> None:
        frame = tunnel.RequestTunnel(max_incoming=1500).frame(node.next_tsn())
        self.emit(node.nwk, Aps(zcl.SE_PROFILE, zcl.TUNNELING, SE_ENDPOINT, self.hub_endpoint), frame.encode(), False)

    # ------------------------------------------------------------------ frames from the hub

    def unicast(self, dst: int, aps: Aps, payload: bytes) -> bool:
        """A frame from the coordinator to ``dst``; False when no joined node has that address."""
        node = self.by_nwk(dst)
        if node is None:
            return False
        if aps.profile == zcl.ZDO_PROFILE and aps.dst_ep == 0:
            self._zdo(node, aps, payload)
        elif aps.profile in (zcl.SE_PROFILE, 0x0104):
            self._zcl(node, aps, payload)
        return True

    def _reply(self, node: EmulatedNode, aps: Aps, payload: bytes) -> None:
        self.emit(node.nwk, Aps(aps.profile, aps.cluster, aps.dst_ep, aps.src_ep), payload, False)

    def _zdo(self, node: EmulatedNode, aps: Aps, payload: bytes) -> None:
        if not payload:
            return
        tsn, rsp_cluster = payload[0], aps.cluster | 0x8000
        here = struct.pack("<BBH", tsn, 0, node.nwk)
        if aps.cluster == ZDO_NODE_DESC_REQ:
            body = here + node_descriptor(1)
        elif aps.cluster == ZDO_ACTIVE_EP_REQ:
            body = here + bytes((1, SE_ENDPOINT))
        elif aps.cluster == ZDO_SIMPLE_DESC_REQ:
            descriptor = node.simple_descriptor()
            body = here + bytes((len(descriptor),)) + descriptor
        else:
            body = struct.pack("<BB", tsn, ZDO_NOT_SUPPORTED)
        self.emit(node.nwk, Aps(zcl.ZDO_PROFILE, rsp_cluster, 0, 0), body, False)

    def _zcl(self, node: EmulatedNode, aps: Aps, payload: bytes) -> None:
        try:
            frame = ZclFrame.decode(payload)
        except zcl.ZclError:
            return
        if not frame.cluster_specific and frame.command == zcl.READ_ATTRIBUTES_RESPONSE:
            node.from_hub[aps.cluster] = zcl.parse_read_attributes_response(frame.payload)
        elif not frame.cluster_specific and frame.command == zcl.READ_ATTRIBUTES and aps.cluster == zcl.BASIC:
            values = {0x0000: (zcl.UINT8, 3), 0x0004: (zcl.CHAR_STRING, MANUFACTURER),
                      0x0005: (zcl.CHAR_STRING, node.device_type), 0x0007: (zcl.UINT8, 1)}
            self._reply(node, aps, zcl.read_attributes_response(frame, values).encode())
        elif aps.cluster == zcl.TUNNELING and frame.cluster_specific:
            self._tunnel(node, aps, frame)
        elif aps.cluster == zcl.KEY_ESTABLISHMENT and frame.cluster_specific:
            self._key_establishment(node, aps, frame)
        elif not frame.disable_default_response and frame.cluster_specific:
            self._reply(node, aps, zcl.default_response(frame, 0x81).encode())  # UNSUP_CLUSTER_COMMAND

    def _tunnel(self, node: EmulatedNode, aps: Aps, frame: ZclFrame) -> None:
        if not frame.server_to_client:
            return
        if frame.command == tunnel.REQUEST_TUNNEL_RESPONSE:
            response = tunnel.RequestTunnelResponse.parse(frame.payload)
            if response.status == tunnel.STATUS_SUCCESS:
                node.tunnel_id = response.tunnel_id
                node.fragment_size = max(8, min(node.fragment_size, response.max_incoming - 1))
                self.log.append(f"{node.eui.hex().upper()}: tunnel {response.tunnel_id} open")
        elif frame.command == tunnel.TUNNEL_CLOSURE_NOTIFICATION:
            node.tunnel_id = None
        elif frame.command == tunnel.TRANSFER_DATA_FROM_SERVER:
            tunnel_id, data = tunnel.parse_transfer_data(frame.payload)
            if self.intercept is not None and data and self.intercept(node, data[0] & 0x7F):
                return  # lost on the air (fault injection)
            if tunnel_id != node.tunnel_id:
                error = tunnel.transfer_data_error(tunnel_id, tunnel.ERROR_NO_SUCH_TUNNEL, frame.tsn, from_server=False)
                self._reply(node, aps, error.encode())
                return
            try:
                message = node.reassembler.feed(data)
            except tunnel.TunnelError as exc:
                self.log.append(f"{node.eui.hex().upper()}: {exc}")
                self._reply(node, aps, zcl.default_response(frame, 0x80).encode())  # MALFORMED_COMMAND
                return
            if message is not None:
                self._execute(node, message)
            if not frame.disable_default_response:
                self._reply(node, aps, zcl.default_response(frame).encode())

    def _execute(self, node: EmulatedNode, message: bytes) -> None:
        """Run a command on the device exactly as EmulatedPremises.deliver does; send what comes out."""
        output = node.entry.device.handle(message)
        sends: list[tuple[EmulatedNode, bytes]] = []
        if output.response is not None:
            sends.append((node, output.response))
        sends += [(node, alert) for alert in output.alerts]
        self.premises.clock.run_until_idle()
        for other in self.nodes.values():
            outbox = other.entry.device.outbox
            if outbox:
                sends += [(other, alert) for alert in outbox]
                outbox.clear()
        for source, raw in sends:
            self.send_gbcs(source, raw)

    def send_gbcs(self, node: EmulatedNode, message: bytes) -> None:
        """A GBCS message from ``node`` to the hub through its tunnel (fragmented)."""
        if node.tunnel_id is None or not node.joined:
            self.log.append(f"{node.eui.hex().upper()}: no tunnel, {len(message)} bytes dropped")
            return
        for chunk in tunnel.fragment(message, node.fragment_size):
            frame = tunnel.transfer_data(node.tunnel_id, chunk, node.next_tsn(), from_server=False)
            frame = ZclFrame(frame.command, frame.payload, frame.tsn, disable_default_response=True)
            aps = Aps(zcl.SE_PROFILE, zcl.TUNNELING, SE_ENDPOINT, self.hub_endpoint)
            self.emit(node.nwk, aps, frame.encode(), False)

    def leave_all(self) -> None:
        for node in self.nodes.values():
            node.joined, node.tunnel_id = False, None
            node.reassembler.reset()
