"""Command payloads written in a scenario: DLMS instruction lists, GBZ components, ASN.1 values, raw hex.

Payloads are checked (encoded once) when the file is read, so a bad one is reported with
its line; DLMS content is encoded again at run time because its invoke id carries the
command counter.  A string ``$name`` anywhere in a payload is the EUI (hex) of that device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gbcs.asn1 import encode_asn1
from gbcs.dlms.cosem import parse_obis
from gbcs.errors import EncodeError
from gbcs.gbz import encode_gbz

from ..testkit import access_request
from .source import LineList, LineMap, ScenarioError
from .values import Args, code_of, hex_of

DLMS_KINDS = ("get", "set", "action")
SE_PROFILE = 0x0109
TEXT_TYPES = frozenset({"octet-string", "visible-string", "utf8-string", "bit-string"})


@dataclass(frozen=True, slots=True)
class Payload:
    """A command's content: ``build(counter)`` gives the bytes; ``frame`` True means a whole ready message."""

    kind: str  # dlms | gbz | asn1 | raw | frame
    build: Callable[[int], bytes]

    @property
    def frame(self) -> bool:
        return self.kind == "frame"


def plain(value: Any, euis: dict[str, bytes], line: int) -> Any:
    """A YAML value as plain Python, ``$name`` replaced by the device's EUI in hex."""
    if isinstance(value, LineMap):
        out = {k: plain(v, euis, value.line_of(k)) for k, v in value.items()}
        if out.get("type") in TEXT_TYPES and "value" in value.texts and not isinstance(out["value"], str):
            out["value"] = value.texts["value"]  # hex of digits only (0001...) read as a number by YAML
        return out
    if isinstance(value, dict):
        return {k: plain(v, euis, line) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v, euis, line) for v in value]
    if isinstance(value, str) and value.startswith("$"):
        name = value[1:].strip("{}")
        if name not in euis:
            raise ScenarioError(line, f"'{value}': no device named {name!r} defined before this step")
        return euis[name].hex().upper()
    return value


def _instruction(item: Any, line: int, euis: dict[str, bytes]) -> tuple[Any, ...]:
    """One DLMS instruction: ``[get, 3, 1-0:1.8.0.255, 2]`` or ``{get: 1-0:1.8.0.255, class: 3, attribute: 2}``."""
    if isinstance(item, LineList):
        if len(item) not in (4, 5) or item[0] not in DLMS_KINDS:
            raise ScenarioError(line, "a DLMS instruction is [get|set|action, class, OBIS, attribute|method, data]")
        kind, class_id, obis, member = item[:4]
        data = item[4] if len(item) == 5 else None
    elif isinstance(item, LineMap):
        args = Args(item, "dlms instruction")
        kinds = [k for k in DLMS_KINDS if args.has(k)]
        if len(kinds) != 1:
            raise ScenarioError(line, "a DLMS instruction names one of get, set, action with its OBIS code")
        kind = kinds[0]
        obis = args.text(kind)
        class_id = args.integer("class")
        member = args.integer("method" if kind == "action" else "attribute")
        data = args.raw("data", None)
        args.done()
    else:
        raise ScenarioError(line, "a DLMS instruction is a list or a table")
    try:
        obis_bytes = parse_obis(str(obis))
    except (ValueError, KeyError):
        raise ScenarioError(line, f"bad OBIS code {obis!r} (write it as 1-0:1.8.0.255)") from None
    if isinstance(class_id, bool) or not isinstance(class_id, int) or isinstance(member, bool) \
            or not isinstance(member, int):
        raise ScenarioError(line, "a DLMS instruction's class and attribute/method are integers")
    node = {"type": "null"} if data is None else plain(data, euis, line)
    return kind, class_id, obis_bytes, member, node


def dlms_payload(items: Any, line: int, euis: dict[str, bytes]) -> Payload:
    if not isinstance(items, LineList) or not items:
        raise ScenarioError(line, "dlms: a list of instructions")
    instructions = [_instruction(item, items.line_of(i), euis) for i, item in enumerate(items)]
    try:
        access_request(0, instructions)
    except (EncodeError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError(line, f"dlms: {exc}") from None
    return Payload("dlms", lambda counter: access_request(counter, instructions))


def _component(item: Any, index: int, line: int, euis: dict[str, bytes]) -> dict[str, Any]:
    """A GBZ component: ``{read: 0x0705, attributes: [0x0031]}`` or ``{cluster, command, frame_control, ...}``."""
    if not isinstance(item, LineMap):
        raise ScenarioError(line, "a GBZ component is a table")
    args = Args(item, "gbz component")
    if args.has("read"):
        cluster = args.code("read")
        attributes = [code_of(a, line, "attributes") for a in args.items("attributes")]
        zcl: dict[str, Any] = {"frame_control": 0x00, "sequence": args.integer("sequence", index), "command": 0x00,
                               "records": [{"attribute": a} for a in attributes]}
    else:
        cluster = args.code("cluster")
        zcl = {"frame_control": args.code("frame_control", 0x01), "sequence": args.integer("sequence", index),
               "command": args.code("command")}
        for key in ("fields", "records"):
            if args.has(key):
                zcl[key] = plain(args.raw(key), euis, args.line_of(key))
    control = args.code("control", 0)
    args.done()
    return {"control": control, "cluster": cluster, "zcl": zcl}


def gbz_payload(items: Any, line: int, euis: dict[str, bytes]) -> Payload:
    if not isinstance(items, LineList) or not items:
        raise ScenarioError(line, "gbz: a list of components")
    components = [_component(item, i, items.line_of(i), euis) for i, item in enumerate(items)]
    components[-1]["control"] |= 1  # the last component
    try:
        content = encode_gbz({"profile": SE_PROFILE, "components": components})
    except (EncodeError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError(line, f"gbz: {exc}") from None
    return Payload("gbz", lambda counter: content)


def asn1_payload(spec: Any, line: int, euis: dict[str, bytes]) -> Payload:
    if not isinstance(spec, LineMap):
        raise ScenarioError(line, "asn1: a table with type and value")
    args = Args(spec, "asn1")
    tree = {"asn1_type": args.text("type"), "value": plain(args.raw("value", None), euis, line)}
    args.done()
    try:
        content = encode_asn1(tree)
    except (EncodeError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError(line, f"asn1: {exc}") from None
    return Payload("asn1", lambda counter: content)


def _guess(value: Any) -> str:
    """Which payload a ``payload:`` value is: DLMS instructions, GBZ components, an ASN.1 table or raw hex."""
    if isinstance(value, LineMap):
        return "asn1"
    if isinstance(value, LineList) and value:
        first = value[0]
        if isinstance(first, LineList) or (isinstance(first, LineMap) and any(k in first for k in DLMS_KINDS)):
            return "dlms"
        return "gbz"
    return "raw"


def payload_of(args: Args, euis: dict[str, bytes]) -> Payload:
    """The one payload key of a send step: dlms, gbz, asn1, raw (content hex), frame (a whole message) or payload."""
    given = [k for k in ("dlms", "gbz", "asn1", "raw", "frame", "payload") if args.has(k)]
    if len(given) != 1:
        raise ScenarioError(args.line, "send: give exactly one of dlms, gbz, asn1, raw, frame (or payload)")
    key = given[0]
    line = args.line_of(key)
    kind = _guess(args.raw(key)) if key == "payload" else key
    if kind == "dlms":
        return dlms_payload(args.raw(key), line, euis)
    if kind == "gbz":
        return gbz_payload(args.raw(key), line, euis)
    if kind == "asn1":
        return asn1_payload(args.raw(key), line, euis)
    data = hex_of(args.mapping.texts.get(key, args.raw(key)), line, f"send: '{key}'")
    return Payload(kind, lambda counter: data)
