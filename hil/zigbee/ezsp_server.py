"""The EZSP side of the fake NCP (see :mod:`hil.zigbee.ezsp_fake` for the ASH/pty runner).

EZSP requests are decoded with bellows' own per-version command tables (that is what keeps
the fake schema-correct across EZSP versions); every command gets a schema-correct default
response (zero fields, status success) unless :class:`EzspServer` implements it: version
negotiation, network state/formation, keys, scans, endpoints, transient (install-code) link
keys, permit joining, unicast/broadcast sending with ``messageSentHandler``, and the
callbacks of the virtual air (``trustCenterJoinHandler``, ``incomingMessageHandler``).

bellows is imported lazily, so importing this module needs no bellows.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable
from typing import Any

from . import zcl
from .air import Aps, VirtualAir, node_descriptor

LOG = logging.getLogger(__name__)

SUPPORTED_VERSIONS = (8, 13)
STACK_VERSIONS = {8: 0x6A30, 13: 0x7400}  # reported EmberZNet versions (6.10.3 / 7.4.0)
EMBER_NETWORK_UP = 0x90
EMBER_NETWORK_DOWN = 0x91
EMBER_NOT_JOINED = 0x93
EMBER_INVALID_CALL = 0x70
EMBER_DELIVERY_FAILED = 0x66
COORDINATOR_EUI = bytes.fromhex("00DB1234567BA0FF")


def _bellows() -> tuple[Any, Any]:
    import bellows.ezsp as ezsp
    import bellows.types as t

    return ezsp, t


class EzspServer:
    """EZSP command handling of the fake NCP; ``send`` takes whole EZSP frames for the host."""

    def __init__(self, version: int, air: VirtualAir | None, send: Callable[[bytes], None], *,
                 eui: bytes = COORDINATOR_EUI, formed: bool = False,
                 schedule: Callable[[float, Callable[[], None]], Any] | None = None) -> None:
        if version not in SUPPORTED_VERSIONS:
            raise ValueError(f"EZSP v{version} is not emulated (use one of {SUPPORTED_VERSIONS})")
        ezsp, self.t = _bellows()
        self.version = version
        self.commands = ezsp.EZSP._BY_VERSION[version].COMMANDS
        self.by_id = {cmd_id: (name, tx, rx) for name, (cmd_id, tx, rx) in self.commands.items()}
        self.air = air
        self.send = send
        self.schedule = schedule or (lambda delay, fn: asyncio.get_running_loop().call_later(delay, fn))
        self.eui = eui
        self.formed = formed
        self.params: dict[str, Any] = {"panId": 0x1A62, "extendedPanId": eui, "radioChannel": 15}
        self.network_key = bytes(range(16))
        self.tc_link_key = b"ZigBeeAlliance09"
        self.endpoints: dict[int, dict[str, Any]] = {}
        self.transient_keys: dict[bytes, bytes] = {}
        self.config: dict[int, int] = {}
        self.values: dict[int, bytes] = {}
        self.aps_seq = 0
        self.last_seq = 0
        self.seen: list[str] = []  # command names in arrival order (tests assert on the sequence)

    # ------------------------------------------------------------------ framing

    def _header(self, seq: int, cmd_id: int, callback: bool) -> bytes:
        return bytes((seq, 0x90 if callback else 0x80, 0x01)) + struct.pack("<H", cmd_id)

    def _payload(self, name: str, overrides: dict[str, Any]) -> bytes:
        t = self.t
        cmd_id, _, schema = self.commands[name]
        if isinstance(schema, dict):
            values, _ = t.deserialize_dict(bytes(600), schema)
            values.update(overrides)
            return t.serialize_dict((), values, schema)
        value, _ = schema.deserialize(bytes(600))
        if overrides:
            value = value.replace(**overrides)
        return value.serialize()

    def respond(self, seq: int, name: str, **overrides: Any) -> None:
        self.send(self._header(seq, self.commands[name][0], False) + self._payload(name, overrides))

    def callback(self, name: str, **fields: Any) -> None:
        self.send(self._header(self.last_seq, self.commands[name][0], True) + self._payload(name, fields))

    def frame_received(self, data: bytes) -> None:
        """One EZSP frame from the host."""
        if len(data) < 3:
            return
        if len(data) >= 5 and data[2] == 0x01:
            seq, cmd_id, body = data[0], struct.unpack_from("<H", data, 3)[0], data[5:]
        else:  # legacy frame: only `version` is sent this way
            seq, cmd_id, body = data[0], data[2], data[3:]
            if cmd_id == 0:
                self.last_seq = seq
                self.seen.append("version")
                frame = bytes((seq, 0x80, 0x00, self.version, 2)) + struct.pack("<H", STACK_VERSIONS[self.version])
                self.send(frame)
                return
        self.last_seq = seq
        entry = self.by_id.get(cmd_id)
        if entry is None:
            self.send(self._header(seq, self.commands["invalidCommand"][0], False) + bytes((0x58,)))
            return
        name, tx_schema, _ = entry
        self.seen.append(name)
        try:
            if isinstance(tx_schema, dict):
                args, _ = self.t.deserialize_dict(body, tx_schema)
            else:
                args = {"value": tx_schema.deserialize(body)[0]}
        except Exception:  # noqa: BLE001 - a malformed request gets invalidCommand like a real NCP
            LOG.debug("cannot decode %s %s", name, body.hex())
            self.send(self._header(seq, self.commands["invalidCommand"][0], False) + bytes((0x36,)))
            return
        handler = getattr(self, f"cmd_{name}", None)
        overrides = handler(args) if handler is not None else None
        self.respond(seq, name, **(overrides or {}))
        after = getattr(self, f"after_{name}", None)
        if after is not None:
            after(args)

    # ------------------------------------------------------------------ network

    def cmd_version(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"protocolVersion": self.version, "stackType": 2, "stackVersion": STACK_VERSIONS[self.version]}

    def cmd_networkState(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"status": self.t.EmberNetworkStatus.JOINED_NETWORK if self.formed else 0}

    def cmd_networkInit(self, args: dict[str, Any]) -> dict[str, Any]:
        return {} if self.formed else {"status": EMBER_NOT_JOINED}

    def after_networkInit(self, args: dict[str, Any]) -> None:
        if self.formed:
            self.callback("stackStatusHandler", status=EMBER_NETWORK_UP)

    def cmd_formNetwork(self, args: dict[str, Any]) -> dict[str, Any]:
        params = args["parameters"]
        self.params = {"panId": int(params.panId), "extendedPanId": params.extendedPanId.serialize()[::-1],
                       "radioChannel": int(params.radioChannel)}
        self.formed = True
        return {}

    def after_formNetwork(self, args: dict[str, Any]) -> None:
        self.callback("stackStatusHandler", status=EMBER_NETWORK_UP)

    def cmd_leaveNetwork(self, args: dict[str, Any]) -> dict[str, Any]:
        self.formed = False
        if self.air is not None:
            self.air.leave_all()
        return {}

    def after_leaveNetwork(self, args: dict[str, Any]) -> None:
        self.callback("stackStatusHandler", status=EMBER_NETWORK_DOWN)

    def _network_parameters(self) -> Any:
        t = self.t
        return t.EmberNetworkParameters(
            extendedPanId=t.EUI64(self.params["extendedPanId"][::-1]), panId=self.params["panId"],
            radioTxPower=8, radioChannel=self.params["radioChannel"], joinMethod=0, nwkManagerId=0,
            nwkUpdateId=0, channels=t.Channels(1 << self.params["radioChannel"]))

    def cmd_getNetworkParameters(self, args: dict[str, Any]) -> dict[str, Any]:
        if not self.formed:
            return {"status": EMBER_NOT_JOINED}
        return {"nodeType": self.t.EmberNodeType.COORDINATOR, "parameters": self._network_parameters()}

    def cmd_getEui64(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"eui64": self.t.EUI64(self.eui[::-1])}

    def cmd_getNodeId(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"nodeId": 0x0000}

    def cmd_getConfigurationValue(self, args: dict[str, Any]) -> dict[str, Any]:
        config_id = int(args["configId"])
        if config_id == self.t.EzspConfigId.CONFIG_SECURITY_LEVEL:
            return {"value": 5}
        return {"value": self.config.get(config_id, 0)}

    def cmd_setConfigurationValue(self, args: dict[str, Any]) -> dict[str, Any]:
        self.config[int(args["configId"])] = int(args["value"])
        return {}

    def cmd_getValue(self, args: dict[str, Any]) -> dict[str, Any]:
        if args["valueId"] == self.t.EzspValueId.VALUE_VERSION_INFO:
            major, minor, patch = (7, 4, 0) if self.version >= 13 else (6, 10, 3)
            return {"value": struct.pack("<HBBBB", 0, major, minor, patch, 0)}
        return {"value": self.values.get(int(args["valueId"]), bytes(8))}

    def cmd_setValue(self, args: dict[str, Any]) -> dict[str, Any]:
        self.values[int(args["valueId"])] = bytes(args["value"])
        return {}

    def cmd_readCounters(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"values": [0] * len(self.t.EmberCounterType)}

    cmd_readAndClearCounters = cmd_readCounters

    def cmd_customFrame(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"status": EMBER_INVALID_CALL}  # no XNCP extensions

    def cmd_getTokenData(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"status": self.t.EmberStatus.NOT_FOUND}  # no NV3 token interface

    def cmd_getChildData(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"status": EMBER_NOT_JOINED}

    def cmd_exportLinkKeyByIndex(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"status": self.t.sl_Status.NOT_FOUND}

    def cmd_getKeyTableEntry(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"status": 0xB6}  # TABLE_ENTRY_ERASED

    def cmd_getAddressTableRemoteNodeId(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"nodeId": 0xFFFF}

    def cmd_getNetworkKeyInfo(self, args: dict[str, Any]) -> dict[str, Any]:
        info = self.t.SecurityManagerNetworkKeyInfo(
            network_key_set=self.formed, alternate_network_key_set=False, network_key_sequence_number=0,
            alt_network_key_sequence_number=0, network_key_frame_counter=0)
        return {"network_key_info": info}

    def cmd_exportKey(self, args: dict[str, Any]) -> dict[str, Any]:
        network = args["context"].core_key_type == self.t.SecurityManagerKeyType.NETWORK
        return {"key": self.t.KeyData(self.network_key if network else self.tc_link_key)}

    def cmd_getKey(self, args: dict[str, Any]) -> dict[str, Any]:  # EZSP v8
        t = self.t
        network = args["keyType"] == t.EmberKeyType.CURRENT_NETWORK_KEY
        key = t.EmberKeyStruct(
            bitmask=t.EmberKeyStructBitmask.KEY_HAS_SEQUENCE_NUMBER, type=args["keyType"],
            key=t.KeyData(self.network_key if network else self.tc_link_key), outgoingFrameCounter=0,
            incomingFrameCounter=0, sequenceNumber=0, partnerEUI64=t.EUI64(self.eui[::-1]))
        return {"keyStruct": key}

    def cmd_getCurrentSecurityState(self, args: dict[str, Any]) -> dict[str, Any]:
        t = self.t
        state = t.EmberCurrentSecurityState(bitmask=t.EmberCurrentSecurityBitmask.GLOBAL_LINK_KEY,
                                            trustCenterLongAddress=t.EUI64(self.eui[::-1]))
        return {"state": state}

    def cmd_setInitialSecurityState(self, args: dict[str, Any]) -> dict[str, Any]:
        state = args["state"]
        self.network_key = state.networkKey.serialize()
        return {}

    def cmd_addEndpoint(self, args: dict[str, Any]) -> dict[str, Any]:
        self.endpoints[int(args["endpoint"])] = dict(args)
        if int(args["profileId"]) == zcl.SE_PROFILE and self.air is not None:
            self.air.hub_endpoint = int(args["endpoint"])
        return {}

    def cmd_startScan(self, args: dict[str, Any]) -> dict[str, Any]:
        return {}

    def after_startScan(self, args: dict[str, Any]) -> None:
        if int(args["scanType"]) == 0:  # energy scan
            for channel in range(11, 27):
                if int(args["channelMask"]) & (1 << channel):
                    self.callback("energyScanResultHandler", channel=channel, maxRssiValue=-90 + channel % 3)
        self.callback("scanCompleteHandler", channel=0xFF, status=0)

    # ------------------------------------------------------------------ joining

    def _store_transient(self, eui64: Any, key: Any) -> None:
        self.transient_keys[eui64.serialize()[::-1]] = bytes(key.serialize())

    def cmd_importTransientKey(self, args: dict[str, Any]) -> dict[str, Any]:  # EZSP v13
        self._store_transient(args["eui64"], args["plaintext_key"])
        return {}

    def cmd_addTransientLinkKey(self, args: dict[str, Any]) -> dict[str, Any]:  # EZSP v8
        self._store_transient(args["partner"], args["transientKey"])
        return {}

    def after_permitJoining(self, args: dict[str, Any]) -> None:
        if int(args["duration"]) > 0 and self.air is not None and self.formed:
            self.schedule(0.02, self._admit)

    def _admit(self) -> None:
        if self.air is None:
            return
        for node in self.air.admit(self.transient_keys):
            self.callback("trustCenterJoinHandler", newNodeId=node.nwk, newNodeEui64=self.t.EUI64(node.eui[::-1]),
                          status=self.t.EmberDeviceUpdate.STANDARD_SECURITY_UNSECURED_JOIN,
                          policyDecision=self.t.EmberJoinDecision.USE_PRECONFIGURED_KEY, parentOfNewNodeId=0)
            self.air.announce(node)
            self.schedule(0.05, lambda n=node: self.air.after_join(n) if self.air and n.joined else None)

    # ------------------------------------------------------------------ sending

    def _next_aps(self) -> int:
        self.aps_seq = (self.aps_seq + 1) & 0xFF
        return self.aps_seq

    def cmd_sendUnicast(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"sequence": self._next_aps()}

    def after_sendUnicast(self, args: dict[str, Any]) -> None:
        aps_frame, dst = args["apsFrame"], int(args["indexOrDestination"])
        aps = Aps(int(aps_frame.profileId), int(aps_frame.clusterId), int(aps_frame.sourceEndpoint),
                  int(aps_frame.destinationEndpoint))
        payload = bytes(args["messageContents"])
        reachable = dst == 0x0000 or (self.air is not None and self.air.by_nwk(dst) is not None)
        self.callback("messageSentHandler", type=args["type"], indexOrDestination=dst, apsFrame=aps_frame,
                      messageTag=args["messageTag"], status=0 if reachable else EMBER_DELIVERY_FAILED,
                      messageContents=payload)
        if dst == 0x0000:
            self._to_self(aps, payload)
        elif reachable and self.air is not None:
            air = self.air
            self.schedule(0.001, lambda: air.unicast(dst, aps, payload))

    def _to_self(self, aps: Aps, payload: bytes) -> None:
        """ZDO requests the host sends to its own NCP (zigpy interviews the coordinator)."""
        if aps.profile != zcl.ZDO_PROFILE or not payload:
            return
        tsn, here = payload[0], struct.pack("<BBH", payload[0], 0, 0)
        if aps.cluster == 0x0002:
            body = here + node_descriptor(0)
        elif aps.cluster == 0x0005:
            body = here + bytes((len(self.endpoints),)) + bytes(sorted(self.endpoints))
        else:
            body = struct.pack("<BB", tsn, 0x84)
        self.incoming(0x0000, Aps(0, aps.cluster | 0x8000, 0, 0), body, False)

    def cmd_sendBroadcast(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"sequence": self._next_aps()}

    def after_sendBroadcast(self, args: dict[str, Any]) -> None:
        self.callback("messageSentHandler", type=self.t.EmberOutgoingMessageType.OUTGOING_BROADCAST,
                      indexOrDestination=int(args["destination"]), apsFrame=args["apsFrame"],
                      messageTag=args["messageTag"], status=0, messageContents=bytes(args["messageContents"]))

    def cmd_sendMulticast(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"sequence": self._next_aps()}

    def after_sendMulticast(self, args: dict[str, Any]) -> None:
        self.callback("messageSentHandler", type=self.t.EmberOutgoingMessageType.OUTGOING_MULTICAST,
                      indexOrDestination=int(args["apsFrame"].groupId), apsFrame=args["apsFrame"],
                      messageTag=args["messageTag"], status=0, messageContents=bytes(args["messageContents"]))

    def incoming(self, src: int, aps: Aps, payload: bytes, broadcast: bool) -> None:
        """A frame from the air to the host: incomingMessageHandler."""
        t = self.t
        aps_frame = t.EmberApsFrame(profileId=aps.profile, clusterId=aps.cluster, sourceEndpoint=aps.src_ep,
                                    destinationEndpoint=aps.dst_ep, options=t.EmberApsOption.APS_OPTION_NONE,
                                    groupId=0, sequence=self._next_aps())
        kind = t.EmberIncomingMessageType.INCOMING_BROADCAST if broadcast else \
            t.EmberIncomingMessageType.INCOMING_UNICAST
        self.callback("incomingMessageHandler", type=kind, apsFrame=aps_frame, lastHopLqi=255, lastHopRssi=-40,
                      sender=src, bindingIndex=0xFF, addressIndex=0xFF, messageContents=payload)
