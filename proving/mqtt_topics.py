"""The MQTT topic map of smetsim (docs/mqtt.md), as data and helpers.

Inbound topics carry a *partition* (premises id modulo :data:`PARTITIONS`) and the premises
id, so ``--shard K/N`` workers subscribe to disjoint sets of partitions::

    smetsim/v1/duis/request/<partition>/<premises>/<S|T|D>     signed DUIS request (XML)
    smetsim/v1/gbcs/command/<partition>/<premises>/<EUI>       GBCS command (raw bytes or hex text)

Outbound topics are keyed by who reads them::

    smetsim/v1/duis/response/<originator EUI>     signed DUIS responses, in order (I99, then I0 ...)
    smetsim/v1/duis/alert/<originator EUI>        signed DUIS Device and DCC Alerts
    smetsim/v1/gbcs/response/<device EUI>         the device's GBCS response
    smetsim/v1/gbcs/alert/<device EUI>            GBCS alerts, one per message
    smetsim/v1/event/<kind>/<subject>             JSON events (worker, premises, device, rejected)

EUIs in topics are 16 upper-case hex digits without separators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOT = "smetsim/v1"
PARTITIONS = 64  # the most shards one deployment can have
SERVICES = ("S", "T", "D")
QOS = 1

DUIS_REQUEST = ROOT + "/duis/request/{partition}/{premises}/{service}"
GBCS_COMMAND = ROOT + "/gbcs/command/{partition}/{premises}/{eui}"
DUIS_RESPONSE = ROOT + "/duis/response/{originator}"
DUIS_ALERT = ROOT + "/duis/alert/{originator}"
GBCS_RESPONSE = ROOT + "/gbcs/response/{eui}"
GBCS_ALERT = ROOT + "/gbcs/alert/{eui}"
EVENT = ROOT + "/event/{kind}/{subject}"

# the documented map: (topic pattern, direction, payload)
TOPIC_MAP: tuple[tuple[str, str, str], ...] = (
    (DUIS_REQUEST, "in", "signed DUIS 5.4 request XML for a device of <premises>; <service> is the web service"),
    (GBCS_COMMAND, "in", "a GBCS command for <eui>: raw bytes, or hex text (answers come back in the same form)"),
    (DUIS_RESPONSE, "out", "each signed DUIS response of a request, in order: synchronous first"),
    (DUIS_ALERT, "out", "signed DUIS DeviceAlertMessage / DCCAlertMessage documents"),
    (GBCS_RESPONSE, "out", "the device's GBCS response to a command"),
    (GBCS_ALERT, "out", "each GBCS alert a command caused (after the response)"),
    (EVENT.format(kind="worker", subject="<client id>"), "out",
     'JSON {"state": "online"|"offline", "shard": "K/N"} (retained; offline is the will)'),
    (EVENT.format(kind="premises", subject="<premises>"), "out",
     'JSON {"event": "commissioned", "premises": N}: the premises\' devices were created (first message)'),
    (EVENT.format(kind="device", subject="<eui>"), "out",
     'JSON {"event": "no-response"|"unreachable", "premises": N, "topic": ...}: a GBCS command got no answer'),
    (EVENT.format(kind="rejected", subject="<premises>"), "out",
     'JSON {"topic": ..., "reason": ...}: a request with no DUIS answer (not XSD-valid, unsigned ...)'),
)

_EUI = re.compile(r"^[0-9A-F]{16}$")


class TopicError(ValueError):
    """A topic that is not in the map (or has bad fields)."""


@dataclass(frozen=True, slots=True)
class Shard:
    """Worker ``index`` (1-based) of ``count``: it takes partitions p with p % count == index - 1."""

    index: int = 1
    count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.count <= PARTITIONS or not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self.index}/{self.count}: need 1 <= K <= N <= {PARTITIONS}")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"K/N"`` (e.g. ``"2/4"``)."""
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"shard {text!r}: expected K/N, e.g. 1/2") from None
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def name(self) -> str:
        return f"{self.index}-of-{self.count}"

    def partitions(self) -> list[int]:
        return [p for p in range(PARTITIONS) if p % self.count == self.index - 1]

    def owns(self, premises: int) -> bool:
        return partition(premises) % self.count == self.index - 1


def partition(premises: int) -> int:
    """The partition of a premises id."""
    return premises % PARTITIONS


def eui_hex(eui: bytes | str) -> str:
    """An EUI as it appears in topics (16 upper-case hex digits)."""
    text = eui.hex() if isinstance(eui, bytes | bytearray) else eui.replace("-", "")
    return text.upper()


def duis_request(premises: int, service: str = "S") -> str:
    if service not in SERVICES:
        raise TopicError(f"service {service!r}: expected one of {SERVICES}")
    return DUIS_REQUEST.format(partition=partition(premises), premises=premises, service=service)


def gbcs_command(premises: int, eui: bytes | str) -> str:
    return GBCS_COMMAND.format(partition=partition(premises), premises=premises, eui=eui_hex(eui))


def duis_response(originator: bytes | str) -> str:
    return DUIS_RESPONSE.format(originator=eui_hex(originator))


def duis_alert(originator: bytes | str) -> str:
    return DUIS_ALERT.format(originator=eui_hex(originator))


def gbcs_response(eui: bytes | str) -> str:
    return GBCS_RESPONSE.format(eui=eui_hex(eui))


def gbcs_alert(eui: bytes | str) -> str:
    return GBCS_ALERT.format(eui=eui_hex(eui))


def event(kind: str, subject: str | int) -> str:
    return EVENT.format(kind=kind, subject=subject)


def subscriptions(shard: Shard, *, share_group: str | None = None) -> list[str]:
    """The topic filters of a shard (prefixed ``$share/<group>/`` when a share group is given)."""
    prefix = f"$share/{share_group}/" if share_group else ""
    filters = []
    for p in shard.partitions():
        filters.append(f"{prefix}{ROOT}/duis/request/{p}/#")
        filters.append(f"{prefix}{ROOT}/gbcs/command/{p}/#")
    return filters


@dataclass(frozen=True, slots=True)
class Inbound:
    """A parsed inbound topic."""

    kind: str  # "duis" or "gbcs"
    premises: int
    service: str | None = None  # duis
    eui: bytes | None = None  # gbcs


def parse_inbound(topic: str) -> Inbound:
    """Parse a DUIS request or GBCS command topic (checking the partition)."""
    parts = topic.split("/")
    if len(parts) != 7 or "/".join(parts[:2]) != ROOT or (parts[2], parts[3]) not in (("duis", "request"),
                                                                                       ("gbcs", "command")):
        raise TopicError(f"not an inbound smetsim topic: {topic}")
    try:
        part, premises = int(parts[4]), int(parts[5])
    except ValueError:
        raise TopicError(f"partition and premises must be numbers: {topic}") from None
    if premises < 0 or part != partition(premises):
        raise TopicError(f"premises {premises} is in partition {partition(premises)}, not {part}: {topic}")
    if parts[2] == "duis":
        if parts[6] not in SERVICES:
            raise TopicError(f"service must be one of {SERVICES}: {topic}")
        return Inbound("duis", premises, service=parts[6])
    if not _EUI.match(parts[6]):
        raise TopicError(f"device EUI must be 16 upper-case hex digits: {topic}")
    return Inbound("gbcs", premises, eui=bytes.fromhex(parts[6]))
