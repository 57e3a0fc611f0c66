"""The annotated tree for people: like a protocol analyser's detail pane, with byte offsets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from gbcs.ber import encode_length
from gbcs.codes import describe_alert_code
from gbcs.dlms.axdr import encode_data
from gbcs.framing import Frame

Style = Callable[..., str]
_ANNOTATIONS = (
    "class_name", "obis_name", "attribute_name", "method_name", "result_name", "datetime",
    "cluster_name", "command_name", "attribute_name", "unit", "status_name", "type_name", "name",
)


def _plain(text: str, **_: Any) -> str:
    return text


class Printer:
    """Accumulates lines ``offset  label  value  (notes)`` with optional colour."""

    def __init__(self, colour: bool) -> None:
        self.lines: list[str] = []
        self.style: Style = click.style if colour else _plain

    def line(self, offset: int | None, depth: int, label: str, value: str = "", note: str = "") -> None:
        where = f"{offset:05d}" if offset is not None else "     "
        text = f"{self.style(where, fg='bright_black')}  {'  ' * depth}{self.style(label, fg='cyan')}"
        if value:
            text += f" {value}"
        if note:
            text += "  " + self.style(f"({note})", fg="yellow")
        self.lines.append(text)


def render_result(result: dict[str, Any], frame: Frame | None, colour: bool) -> str:
    """The annotated tree for one parse result (``frame`` gives the header offsets when available)."""
    out = Printer(colour)
    head = out.style(str(result["source"]), bold=True)
    if not result["ok"]:
        out.lines.append(f"{head}  " + out.style(f"ERROR {result['error']}", fg="red", bold=True))
        return "\n".join(out.lines)
    use = result["use_case_name"] or f"unknown message code 0x{result['message_code']:04X}"
    out.lines.append(f"{head}  {result['cra']} {use}")
    _render_header(out, result, frame)
    base = frame.content_offset if frame else None
    out.line(base, 1, f"payload ({result['payload_type']})")
    if result["payload_type"] == "dlms":
        _render_dlms(out, result["payload"], base, len(frame.content) if frame else 0)
    else:
        _render_generic(out, result["payload"], 2)
    for item in result.get("decrypted") or []:
        out.line(None, 1, "decrypted", item["path"], item["plaintext"])
    for key in ("signature_valid", "mac_valid"):
        if result.get(key) is not None:
            colour = "green" if result[key] else "red"
            out.line(None, 1, key.replace("_", " "), out.style(str(result[key]).lower(), fg=colour, bold=True))
    return "\n".join(out.lines)


def _render_header(out: Printer, result: dict[str, Any], frame: Frame | None) -> None:
    if result["mac_header"]:
        security = f"SC 0x{result['security_control']:02X}, IC {result['invocation_counter']}"
        out.line(0, 1, "MAC header", "general-ciphering", security)
    apdu = frame.apdu_offset if frame else None
    at = (lambda delta: apdu + delta) if apdu is not None else (lambda delta: None)
    out.line(at(0), 1, "general-signing APDU")
    out.line(at(1), 2, "transaction-id", f"{result['cra']}, counter {result['counter']} (0x{result['counter']:X})")
    out.line(at(11), 2, "originator", result["originator"])
    out.line(at(20), 2, "recipient", result["recipient"])
    out.line(at(29), 2, "date-time", result.get("date_time") or "(empty)")
    note = result["use_case_name"] or "unknown code"
    out.line(None, 2, "message code", f"0x{result['message_code']:04X}", note)
    for key, value in (result.get("other_information") or {}).items():
        if value is not None:
            shown = _short(value) if isinstance(value, str) else value
            out.line(None, 3, key.replace("_", " "), str(shown))
    out.line(None, 2, "signature", result.get("signature") or result.get("signature_form", ""))
    if result.get("mac"):
        out.line(None, 1, "MAC", result["mac"])


def _data_line(node: dict[str, Any]) -> tuple[str, str]:
    kind = node.get("type", "?")
    value = node.get("value", node.get("hex", node.get("raw", "")))
    if kind == "enum" or (kind == "long-unsigned" and isinstance(value, int) and 0x8000 <= value <= 0x8FFF):
        name = describe_alert_code(value) if kind == "long-unsigned" else None
        return f"{value}", name or ""
    if isinstance(value, list):
        return f"[{len(value)}]", ""
    note = node.get("datetime", "")
    return str(value), note


def _render_data(out: Printer, node: dict[str, Any], offset: int | None, depth: int, label: str) -> int | None:
    """Render one Data element; return the offset after it."""
    value, note = _data_line(node)
    out.line(offset, depth, f"{label}{node.get('type')}", value, note)
    size = len(encode_data(node)) if offset is not None else 0
    if node.get("type") in ("array", "structure"):
        inner = None if offset is None else offset + size - sum(len(encode_data(c)) for c in node["value"])
        for i, child in enumerate(node["value"]):
            inner = _render_data(out, child, inner, depth + 1, f"[{i}] ")
    return None if offset is None else offset + size


def _render_dlms(out: Printer, payload: dict[str, Any], base: int | None, total: int) -> None:
    out.line(base, 2, payload["apdu"], f"invoke-id 0x{payload['invoke_id']:08X}")
    for i, spec in enumerate(payload.get("requests") or []):
        member = spec.get("attribute", spec.get("method"))
        names = ", ".join(spec[k] for k in ("class_name", "obis_name", "attribute_name", "method_name") if k in spec)
        out.line(None, 3, f"request[{i}] {spec['kind']}", f"class {spec['class_id']} {spec['obis']} #{member}", names)
    # Data elements sit at the end of the APDU, before the (fixed-size) results: offsets follow.
    results = payload.get("results") or []
    results_size = len(encode_length(len(results))) + 2 * len(results) if "results" in payload else 0
    end = None if base is None else base + total - results_size
    data = payload.get("data") or []
    if payload.get("notification") is not None:
        data = [payload["notification"]]
    at = None if end is None else end - sum(len(encode_data(node)) for node in data)
    label = "notification " if payload.get("notification") is not None else "data[{}] "
    for i, node in enumerate(data):
        at = _render_data(out, node, at, 3, label.format(i))
    for i, result in enumerate(results):
        out.line(None, 3, f"result[{i}] {result['kind']}", str(result["result"]), result.get("result_name", ""))


def _render_generic(out: Printer, node: Any, depth: int, label: str = "") -> None:
    """Any JSON-like tree: scalars inline, with name annotations as notes."""
    if isinstance(node, dict):
        note = ", ".join(dict.fromkeys(str(node[k]) for k in _ANNOTATIONS if isinstance(node.get(k), str)))
        scalars = {k: v for k, v in node.items() if not isinstance(v, dict | list) and k not in _ANNOTATIONS}
        summary = " ".join(_field(k, v) for k, v in scalars.items())
        if label or summary:
            out.line(None, depth, label or "", summary, note)
        for key, value in node.items():
            if isinstance(value, dict | list):
                _render_generic(out, value, depth + 1, key)
    elif isinstance(node, list):
        out.line(None, depth, label, f"[{len(node)}]")
        for i, item in enumerate(node):
            _render_generic(out, item, depth + 1, f"[{i}]")
    else:
        out.line(None, depth, label, _short(node))


# Identifiers engineers read in hex (ZCL clusters and attributes, profiles, codes).
_HEX_KEYS = {"profile": 4, "cluster": 4, "attribute": 4, "attribute_id": 4, "alert_code": 4, "message_code": 4,
             "manufacturer_code": 4, "control": 2, "frame_control": 2, "command": 2}


def _field(key: str, value: Any) -> str:
    width = _HEX_KEYS.get(key)
    if width and isinstance(value, int) and not isinstance(value, bool):
        return f"{key}=0x{value:0{width}X}"
    return f"{key}={_short(value)}"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 64 else text[:64] + f"... ({len(text)} chars)"
