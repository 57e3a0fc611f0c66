"""SRV 6.22 / 6.2.10 at the ESME: the alert and event behaviours (ECS25a/b/a1-a3/b3, read by ECS25r1/r2).

Each party has its behaviour objects (class 1, attribute 2), the supplier's with OBIS C field
30, the network operator's with 33:

* ``0-C:97.98.11..14.255`` written by the set use cases, a 512-bit bit-string: a 256-bit mask
  (the behaviours to change) followed by 256 bits of new values.  11 is the WAN alert
  behaviour (ECS25a, ECS25b), 12 sending to HAN devices (ECS25a1), 13 the audible alarm
  (ECS25a2), 14 logging (ECS25a3, ECS25b3);
* ``0-C:97.98.15..18.255`` the resulting configuration, 256 bits each (read by ECS25r1/r2):
  a write to 11+k sets ``config(15+k) = config & ~mask | values & mask``.

Bit positions [I]: the GBCS table of bit positions is not in the spec folder.  Each party
configures its own alerts: the supplier the 0x81xx codes, the network operator the 0x80xx
codes (as the DUIS 5.4 XSD groups them), and an alert's bit is its code minus the party's
base (0x8100, 0x8000), counted from the last bit of the string; the RTDS ECS25a1/a2/b/b3
commands follow this rule exactly.

A configurable alert whose WAN behaviour bit is cleared by either party is not sent (it is
still logged); every other alert follows the profile's alert set.

At the GSME, GCS20 (usecases/gbz_events.py) sets ZCL event configurations; an event it has
configured is sent as an alert only while its configuration has the "push to WAN" bit
(0x02, ZCL SE Device Management event configuration [I]).  Events GCS20 never configured
follow the profile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..alerts import alert_filter
from ..cosem_model import TYPE_UNMATCHED, CosemError

if TYPE_CHECKING:
    from ..cosem_classes import Node
    from ..cosem_device import CosemDevice

DATA_CLASS = 1
PARTIES = (30, 33)  # supplier, network operator
WRITTEN = range(11, 15)  # WAN alert, HAN, audible alarm, logging
CONFIGURED = 4  # configuration object = written object + 4
WAN_CONFIGURATION = 15
BITS = 256
PUSH_TO_WAN = 0x02  # ZCL event configuration bit


PARTY_CODE_BASE = {30: 0x8100, 33: 0x8000}  # supplier, network operator


def alert_bit(party: int, alert_code: int) -> int | None:
    """The bit (from the last bit of a 256-bit string) of ``alert_code`` in ``party``'s behaviours, or None."""
    bit = alert_code - PARTY_CODE_BASE[party]
    return bit if 0 <= bit < BITS else None


def _obis(party: int, index: int) -> bytes:
    return bytes((0, party, 97, 98, index, 255))


def _bits(value: Node) -> tuple[int, int]:
    """``(integer, bit count)`` of a bit-string node."""
    text = value.get("value") or ""
    count = value.get("bits", len(text) * 4)
    return (int(text, 16) >> (len(text) * 4 - count) if text else 0), count


def _bit_string(number: int, count: int) -> Node:
    return {"type": "bit-string", "bits": count, "value": f"{number:0{count // 4}X}"}


def is_behaviour_write(obj_class: int, obis: bytes, attribute: int) -> bool:
    """True for attribute 2 of a party's behaviour set object (0-C:97.98.11..14.255)."""
    return (obj_class == DATA_CLASS and attribute == 2 and obis[0] == 0 and obis[1] in PARTIES
            and obis[2:4] == bytes((97, 98)) and obis[4] in WRITTEN and obis[5] == 255)


def apply_behaviour(device: CosemDevice, obis: bytes, value: Node) -> None:
    """Apply a written mask and values to the configuration object; raises CosemError for a bad value."""
    if value.get("type") != "bit-string":
        raise CosemError(TYPE_UNMATCHED, "alert behaviours are a bit-string")
    number, count = _bits(value)
    if count != 2 * BITS:
        raise CosemError(TYPE_UNMATCHED, f"alert behaviours are {2 * BITS} bits, not {count}")
    mask, values = number >> BITS, number & ((1 << BITS) - 1)
    target = device.model.find(DATA_CLASS, _obis(obis[1], obis[4] + CONFIGURED))
    current = target.read(2)
    old = _bits(current)[0] if current.get("type") == "bit-string" else (1 << BITS) - 1
    target.write(2, _bit_string((old & ~mask) | (values & mask), BITS))


@alert_filter("ESME")
def alert_sent(device: CosemDevice, alert_code: int) -> bool:
    """False when a party's WAN alert behaviour disables ``alert_code``."""
    for party in PARTIES:
        bit = alert_bit(party, alert_code)
        if bit is None:
            continue
        obj = device.model.objects.get(_obis(party, WAN_CONFIGURATION))
        if obj is None or obj.class_id != DATA_CLASS:
            continue
        value = obj.read(2)
        if value.get("type") != "bit-string":
            continue
        number, count = _bits(value)
        if bit < count and not (number >> bit) & 1:
            return False
    return True


@alert_filter("GSME", "GPF")
def event_sent(device: Any, alert_code: int) -> bool:
    """False when GCS20 configured ``alert_code`` without the push-to-WAN bit."""
    state = device.gbz_state
    if alert_code not in state.get("configured_events", ()):
        return True
    return bool(state["event_configuration"].get(alert_code, PUSH_TO_WAN) & PUSH_TO_WAN)
