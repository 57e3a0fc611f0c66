"""The MQTT side of smetsim: DUIS requests and GBCS commands in, responses, alerts and events out.

:class:`MessageHandler` turns one inbound message (topic map: :mod:`proving.mqtt_topics`)
into the messages to publish, with the DCC front end and the premises behind it; it is
synchronous and not thread-safe, as the front end is.  :class:`MqttBridge` connects it to a
broker with aiomqtt:

* MQTT 3.1.1, QoS 1, a persistent session (``clean_session=False``) under a stable client id
  per shard (``smetsim-shard-K-of-N``), so what arrives while a worker is down is queued by
  the broker and delivered when the worker comes back;
* every inbound message is acknowledged (PUBACK) only after it was processed and all its
  outputs were accepted by the broker: a worker that dies mid-way gets it again (at least once);
* messages are processed one at a time, in arrival order, on one thread per process;
* ``share_group`` subscribes through ``$share/<group>/...`` so replicas of a shard split its load
  on brokers (and broker clusters) that support shared subscriptions;
* the worker's state is published retained on ``smetsim/v1/event/worker/<client id>``; the
  will says ``offline`` when the connection is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from lxml import etree

from gbcs.errors import DecodeError
from gbcs.framing import parse_frame

from . import duis
from . import mqtt_topics as topics
from .frontend import DccFrontEnd
from .mqtt_broker import BrokerUrl
from .premises import DeliveryTarget

log = logging.getLogger(__name__)
ALERT_BODIES = frozenset({"DeviceAlertMessage", "DCCAlertMessage"})
_HEX = re.compile(rb"\s*(?:[0-9A-Fa-f]{2})+\s*")
RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to publish."""

    topic: str
    payload: bytes
    retain: bool = False


class Dcc(Protocol):
    """What the handler needs: the front end and the premises behind it (an EmbeddedDcc, of a fleet or not)."""

    frontend: DccFrontEnd
    premises: DeliveryTarget


def _json(**fields: Any) -> bytes:
    return json.dumps(fields, separators=(",", ":")).encode()


def is_alert(document: bytes) -> bool:
    """True for a signed DUIS Device or DCC Alert (not a response)."""
    try:
        root = etree.fromstring(document)
    except etree.XMLSyntaxError:
        return False
    return any(isinstance(el.tag, str) and etree.QName(el).localname in ALERT_BODIES for el in root.iter())


class MessageHandler:
    """Processes inbound messages (see the module text); ``premises_of`` maps a device EUI to its premises."""

    def __init__(self, dcc: Dcc, *, premises_of: Callable[[bytes], int | None] | None = None) -> None:
        self.frontend = dcc.frontend
        self.target = dcc.premises
        slot_of = getattr(self.target, "slot_of", None)
        if premises_of is None and slot_of is not None:
            def premises_of(eui: bytes) -> int | None:
                where = slot_of(eui)
                return where[0] if where is not None else None
        # a single EmulatedPremises is premises 0
        self.premises_of = premises_of or (lambda eui: 0 if self.target.device_type(eui) is not None else None)
        self._built: Callable[[int], bool] = getattr(self.target, "built", lambda index: True)

    def handle(self, topic: str, payload: bytes) -> list[Outgoing]:
        """The messages to publish for one inbound message (never raises)."""
        try:
            inbound = topics.parse_inbound(topic)
        except topics.TopicError as exc:  # not ours (a broker may hand out retained messages): never answer it
            log.warning("ignored: %s", exc)
            return []
        try:
            new = not self._built(inbound.premises)
            if inbound.kind == "duis":
                out = self._duis(topic, inbound, payload)
            else:
                out = self._gbcs(topic, inbound, payload)
            if new and self._built(inbound.premises):
                out.append(Outgoing(topics.event("premises", inbound.premises),
                                    _json(event="commissioned", premises=inbound.premises)))
            return out
        except Exception as exc:  # a message must not stop the worker: report it and move on
            log.exception("processing %s failed", topic)
            return [self._rejected(topic, inbound.premises, f"internal error: {exc!r}")]

    def _rejected(self, topic: str, premises: int, reason: str) -> Outgoing:
        return Outgoing(topics.event("rejected", premises), _json(topic=topic, reason=reason))

    def _duis(self, topic: str, inbound: topics.Inbound, payload: bytes) -> list[Outgoing]:
        try:  # a device of another premises would be commissioned on the wrong shard: refuse it
            target = duis.parse_request(duis.parse_xml(payload)).request_id.target
            elsewhere = self.premises_of(bytes.fromhex(str(target).replace("-", "")))
        except (duis.DuisError, ValueError):
            elsewhere = None  # the front end rejects what it cannot parse
        if elsewhere is not None and elsewhere != inbound.premises:
            return [self._rejected(topic, inbound.premises, f"device {target} is in premises {elsewhere}")]
        exchange = self.frontend.submit(payload, service=inbound.service)
        if exchange.code is None or exchange.request is None:
            return [self._rejected(topic, inbound.premises, exchange.error or "rejected")]
        originator = exchange.request.request_id.originator
        return [Outgoing(topics.duis_alert(str(originator)) if is_alert(document)
                         else topics.duis_response(str(originator)), document) for document in exchange.responses]

    def _gbcs(self, topic: str, inbound: topics.Inbound, payload: bytes) -> list[Outgoing]:
        as_hex = _HEX.fullmatch(payload) is not None
        command = bytes.fromhex(payload.decode()) if as_hex else bytes(payload)
        try:
            recipient = parse_frame(command).recipient
        except DecodeError as exc:
            return [self._rejected(topic, inbound.premises, f"not a GBCS command: {exc}")]
        assert inbound.eui is not None
        if recipient != inbound.eui:
            return [self._rejected(topic, inbound.premises,
                                   f"the command is for {recipient.hex().upper()}, not {inbound.eui.hex().upper()}")]
        premises = self.premises_of(recipient)
        if premises is not None and premises != inbound.premises:
            return [self._rejected(topic, inbound.premises, f"device {recipient.hex().upper()} is in premises "
                                                            f"{premises}")]

        def encode(data: bytes) -> bytes:
            return data.hex().upper().encode() if as_hex else data

        delivery = self.target.deliver(command) if premises is not None else None
        out = []
        if delivery is not None and delivery.response is not None:
            out.append(Outgoing(topics.gbcs_response(recipient), encode(delivery.response)))
        else:
            reachable = delivery is not None and delivery.reachable
            out.append(Outgoing(topics.event("device", recipient.hex().upper()),
                                _json(event="no-response" if reachable else "unreachable", premises=inbound.premises,
                                      topic=topic)))
        for alert in delivery.alerts if delivery is not None else ():
            try:
                source = parse_frame(alert).originator
            except DecodeError:
                source = recipient
            out.append(Outgoing(topics.gbcs_alert(source), encode(alert)))
        return out


_processing: ThreadPoolExecutor | None = None


def processing_thread() -> ThreadPoolExecutor:
    """The one thread of this process that runs handlers: the emulator's lazily built tables are not
    thread-safe, so bridges in one process (tests, several shards) take turns; scale out with processes."""
    global _processing
    if _processing is None:
        _processing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smetsim-mqtt")
    return _processing


class MqttBridge:
    """Runs a :class:`MessageHandler` against a broker (see the module text)."""

    def __init__(self, handler: MessageHandler, broker: BrokerUrl, shard: topics.Shard | None = None, *,
                 client_id: str | None = None, share_group: str | None = None, keepalive: int = 30,
                 executor: ThreadPoolExecutor | None = None) -> None:
        self.handler = handler
        self.broker = broker
        self.shard = shard = shard or topics.Shard()
        self.client_id = client_id or f"smetsim-shard-{shard.name}"
        self.share_group = share_group
        self.keepalive = keepalive
        self.handled = 0  # inbound messages processed, answered and acknowledged
        self.ignored = 0  # messages on topics outside the map (acknowledged, not answered)
        self.connected = asyncio.Event()
        self._executor = executor or processing_thread()  # share it with anything else using the front end
        self._stopping = False
        self._busy = False
        self._consumer: asyncio.Task[None] | None = None

    def _state(self, state: str) -> bytes:
        return _json(state=state, shard=str(self.shard), client_id=self.client_id)

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        """Finish the message in hand (answer and acknowledge it), then disconnect: :meth:`run` returns."""
        self._stopping = True
        if self._consumer is not None and not self._busy:
            self._consumer.cancel()

    async def run(self) -> None:
        """Serve until :meth:`stop` (or cancelled), reconnecting to the same session when the connection drops."""
        import aiomqtt

        attempt = 0
        try:
            while not self._stopping:
                try:
                    await self._session()
                    attempt = 0
                except aiomqtt.MqttError as exc:
                    attempt = 0 if self.connected.is_set() else attempt + 1
                    self.connected.clear()
                    delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                    log.warning("broker %s: %s; reconnecting in %.1f s", self.broker, exc, delay)
                    await asyncio.sleep(delay)
        finally:
            self.connected.clear()

    async def _session(self) -> None:
        import aiomqtt

        state_topic = topics.event("worker", self.client_id)
        client = aiomqtt.Client(**self.broker.client_kwargs(), identifier=self.client_id, clean_session=False,
                                protocol=aiomqtt.ProtocolVersion.V311, keepalive=self.keepalive,
                                will=aiomqtt.Will(state_topic, self._state("offline"), qos=topics.QOS, retain=True))
        # paho acknowledges on receipt unless told otherwise; we acknowledge after processing.
        # (aiomqtt 2.5 has no option for it: this is the paho client it wraps.)
        client._client.manual_ack_set(True)
        async with client:
            # consume before subscribing: a persistent session's queued messages arrive right after CONNACK
            self._consumer = consumer = asyncio.create_task(self._consume(client))
            try:
                await client.subscribe([(f, topics.QOS) for f in topics.subscriptions(self.shard,
                                                                                      share_group=self.share_group)])
                await client.publish(state_topic, self._state("online"), qos=topics.QOS, retain=True)
                self.connected.set()
                if self._stopping and not self._busy:  # stop() came while connecting: nothing to finish
                    consumer.cancel()
                await asyncio.wait([consumer])  # ends on stop() or a lost connection
                failure = None if consumer.cancelled() else consumer.exception()
                if failure is not None:
                    raise failure
            finally:
                self._consumer = None
                consumer.cancel()
                with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError, TimeoutError):
                    await consumer
                with contextlib.suppress(aiomqtt.MqttError, TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(client.publish(state_topic, self._state("offline"), qos=topics.QOS,
                                                          retain=True), 2)

    async def _consume(self, client: Any) -> None:
        loop = asyncio.get_running_loop()
        async for message in client.messages:
            self._busy = True
            try:
                payload = message.payload if isinstance(message.payload, bytes) else str(message.payload or "").encode()
                outputs = await loop.run_in_executor(self._executor, self.handler.handle, str(message.topic), payload)
                await asyncio.gather(*(client.publish(o.topic, o.payload, qos=topics.QOS, retain=o.retain)
                                       for o in outputs))
                client._client.ack(message.mid, message.qos)
            finally:
                self._busy = False
            if outputs:
                self.handled += 1
            else:
                self.ignored += 1
            if self._stopping:
                return
