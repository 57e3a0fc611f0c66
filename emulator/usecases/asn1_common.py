"""Shared pieces of the ASN.1 use cases (gbcs spec §3.3): payload trees, times, alerts, device state.

Handlers read the command as the typed view of :func:`gbcs.asn1.decode_asn1` and answer with
a typed tree (``{"asn1_type", "value"}``) that :func:`gbcs.asn1.encode_asn1` encodes.  The
state these use cases keep on a device (join table, pending credential or firmware changes,
a key pair waiting for its certificate) lives in :class:`Asn1State`, one per device.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from gbcs.asn1 import decode_asn1, encode_asn1
from gbcs.asn1.tlv import read_header, respell
from gbcs.errors import DecodeError, EncodeError

from ..clock import Timer
from ..device import Device, Reply
from ..security import Incoming

ALL_KINDS = ("ESME", "GSME", "CHF", "GPF", "PPMID", "HCALCS")
NEVER = "99991231235959Z"  # an execution date-time that cancels a stored instruction


@dataclass(slots=True)
class JoinEntry:
    """One device in the join table (its GBCS DeviceType code)."""

    entity_id: bytes
    device_type: int


@dataclass(slots=True)
class Asn1State:
    """What the ASN.1 use cases remember about one device."""

    joined: dict[bytes, JoinEntry] = field(default_factory=dict)
    pending: dict[str, Timer] = field(default_factory=dict)  # future-dated instructions by target
    new_keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict)  # CS02c, awaiting CS02d
    firmware_version: str | None = None  # after an activation
    join_seeded: bool = False  # the join table holds the commissioned HAN peers


_states: weakref.WeakKeyDictionary[Device, Asn1State] = weakref.WeakKeyDictionary()


def existing_state(device: Device) -> Asn1State | None:
    """The ASN.1 use-case state of ``device`` if it has one (None: nothing happened yet)."""
    return _states.get(device)


def state(device: Device) -> Asn1State:
    """The ASN.1 use-case state of ``device`` (created on first use)."""
    found = _states.get(device)
    if found is None:
        found = _states[device] = Asn1State()
    return found


def command_tree(device: Device, incoming: Incoming, expected: str) -> dict[str, Any] | None:
    """The typed view of the command payload, or None when it is not ``expected``.

    A payload the use case cannot read is treated like a command the device does not
    support: logged (and reported with ECS100 by DLMS devices), no response.
    """
    frame = incoming.frame
    try:
        tree = decode_asn1(frame.content, frame.content_offset, frame.message_code, frame.cra)
    except DecodeError as exc:
        tree = {"asn1_type": None, "typed_error": str(exc)}
    if tree.get("asn1_type") != expected:
        device.event_log.add(device.now(), 0, f"payload is not a {expected}: {tree.get('typed_error', '')}")
        device._not_supported(incoming)
        return None
    return tree


def command_value(device: Device, incoming: Incoming, expected: str) -> Any:
    """The typed value of the command payload (see :func:`command_tree`); None when it does not fit."""
    tree = command_tree(device, incoming, expected)
    return None if tree is None else tree["value"]


def _long_tlvs(data: bytes) -> set[str]:
    """Paths of the TLVs of ``data`` with 128..255 content octets."""
    found = set()
    stack = [(0, len(data), "")]
    while stack:
        pos, end, prefix = stack.pop()
        index = 0
        while pos < end:
            _, constructed, _, start, stop, _ = read_header(data, pos, end, 0)
            path = f"{prefix}{index}"
            if 128 <= stop - start <= 255:
                found.add(path)
            if constructed:
                stack.append((start, stop, path + "."))
            pos, index = stop, index + 1
    return found


def long_lengths(canonical: bytes) -> dict[str, int]:
    """Spellings writing every length of 128..255 as ``82 00 LL``, as RTDS devices do.

    Longer spellings lengthen the enclosing TLVs, so this repeats until nothing changes.
    """
    spellings: dict[str, int] = {}
    while True:
        paths = _long_tlvs(respell(canonical, spellings)) | set(spellings)
        if paths == set(spellings):
            return spellings
        spellings = dict.fromkeys(sorted(paths), 2)


def typed_tree(asn1_type: str, value: Any) -> dict[str, Any]:
    """A typed payload tree whose long lengths are spelled as RTDS devices spell them."""
    tree: dict[str, Any] = {"asn1_type": asn1_type, "value": value}
    spellings = long_lengths(encode_asn1(tree))
    if spellings:
        tree["length_octets"] = spellings
    return tree


def reply(asn1_type: str, value: Any) -> Reply:
    """A response payload of module type ``asn1_type``."""
    return Reply(tree=typed_tree(asn1_type, value), payload_type="asn1")


def fault_hits(device: Device) -> bool:
    """True when the command being executed hits an armed hardware fault (:mod:`emulator.faults`).

    ASN.1 responses have one request: the use case answers its failure code instead of executing.
    """
    return device.active_fault is not None


def named(value: int) -> dict[str, Any]:
    """An INTEGER / ENUMERATED with named numbers, as the typed view writes it (the name is ignored)."""
    return {"value": value, "name": None}


def number(node: Any) -> int:
    """The number of a named INTEGER / ENUMERATED node (or a plain int)."""
    return node["value"] if isinstance(node, dict) else int(node)


def generalized_time(posix: float) -> str:
    """DER GeneralizedTime text (UTC, whole seconds)."""
    return dt.datetime.fromtimestamp(int(posix), dt.UTC).strftime("%Y%m%d%H%M%SZ")


def parse_generalized_time(text: str) -> float | None:
    """POSIX seconds of a GeneralizedTime, or None for the 'never' time and unreadable text."""
    if text == NEVER:
        return None
    try:
        return dt.datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC).timestamp()
    except ValueError:
        return None


def send_alert(device: Device, message_code: int, alert_code: int, asn1_type: str, value: Any,
               recipient: bytes | None) -> bytes | None:
    """Raise an ASN.1 alert (a future-dated outcome): logged, then sent when the profile raises it."""
    try:
        content = encode_asn1(typed_tree(asn1_type, value))
    except EncodeError as exc:
        device.event_log.add(device.now(), alert_code, f"alert payload: {exc}")
        return None
    return device.raise_alert(alert_code, message_code=message_code, recipient=recipient,
                              other_information=message_code.to_bytes(2, "big"), content=content)


def schedule(device: Device, target: str, when: float, action: Any) -> None:
    """Run ``action()`` when the device clock reads ``when``, replacing a pending one for ``target``."""
    cancel(device, target)
    pending = state(device).pending

    def fire() -> None:
        pending.pop(target, None)
        action()

    pending[target] = device.clock.schedule(device.virtual_time(when), fire)


def cancel(device: Device, target: str) -> bool:
    """Drop the pending instruction for ``target``; True when there was one."""
    timer = state(device).pending.pop(target, None)
    if timer is None:
        return False
    timer.cancel()
    return True
