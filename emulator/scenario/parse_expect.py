"""Reading an expect step: its window settings and each check, names resolved and values converted."""

from __future__ import annotations

from typing import Any

from ..catalogue import codes_for
from .context import Context
from .payloads import plain
from .source import LineList, LineMap, ScenarioError, empty_map
from .values import Args, int_list

CHECKS = ("response", "alert", "no_response", "no_alert", "trace", "device_log")


def _check(kind: str, value: Any, line: int, ctx: Context) -> dict[str, Any]:
    """One expectation of an expect step, its names resolved and its values converted."""
    if not isinstance(value, LineMap):
        if kind not in ("no_response", "no_alert"):
            raise ScenarioError(line, f"expect {kind}: a table of fields")
        table = empty_map(line)
        if value is not None:  # no_response: esme1
            table["from"], table.lines["from"], table.texts["from"] = value, line, str(value)
        value = table
    args = Args(value, f"expect {kind}")
    spec: dict[str, Any] = {"kind": kind, "line": value.line}
    if kind in ("response", "alert", "no_response", "no_alert"):
        spec["from"] = ctx.device(args, "from") if args.has("from") and args.raw("from") is not None else None
        if kind in ("response", "no_response"):
            spec["to"] = ctx.device(args, "to", hub=False) if args.has("to") else None
    if kind in ("response", "alert", "trace"):
        spec["count"] = args.integer("count", None, minimum=0)
        spec["min"] = args.integer("min", None, minimum=0)
    if kind == "response":
        if args.has("use_case"):
            codes = codes_for(args.text("use_case"))
            if not codes:
                raise ScenarioError(args.line_of("use_case"), f"unknown use case {args.text('use_case')!r}")
            spec["message_code"] = codes[0]
        else:
            spec["message_code"] = args.code("message_code", None)
        spec["result"] = int_list(args)
        fields = args.table("fields", None)
        spec["fields"] = plain(dict(fields.mapping), ctx.euis(), fields.line) if fields is not None else {}
        if fields is not None:
            fields.used.update(fields.mapping)
        spec["verified"] = args.boolean("verified", spec.get("to") is None)
    elif kind in ("alert", "no_alert"):
        spec["code"] = args.code("code", None)
        if kind == "alert":
            spec["message_code"] = args.code("message_code", None)
            spec["verified"] = args.boolean("verified", True)
    elif kind == "trace":
        spec["event"] = args.text("event")
        spec["device"] = ctx.device(args) if args.has("device") else None
        spec["detail"] = args.text("detail", None)
        spec["premises"] = ctx.premises_name(args)
    elif kind == "device_log":
        spec["premises"] = ctx.premises_name(args)
        for key in ("contains", "absent", "historic_contains", "historic_absent", "joined", "not_joined"):
            names = args.items(key, LineList())
            resolved = []
            for i, name in enumerate(names):
                if str(name) not in ctx.devices:
                    raise ScenarioError(names.line_of(i), f"no device named {name!r}")
                resolved.append(ctx.devices[str(name)])
            spec[key] = resolved
        spec["historic"] = args.integer("historic", None, minimum=0)
        spec["size"] = args.integer("size", None, minimum=0)
    args.done()
    return spec


def parse_expect(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    within = args.duration("within", 0.0)
    since = args.text("since", "last", choices=("last", "start"))
    checks = []
    for key in list(args.mapping):
        if key in ("within", "since"):
            continue
        if key not in CHECKS:
            raise ScenarioError(args.line_of(key), f"expect: unknown check '{key}' (one of {', '.join(CHECKS)})")
        value = args.raw(key)
        items = value if isinstance(value, LineList) else [value]
        for i, item in enumerate(items):
            line = value.line_of(i) if isinstance(value, LineList) else args.line_of(key)
            checks.append(_check(key, item, line, ctx))
    if not checks:
        raise ScenarioError(args.line, f"expect: nothing to check (give one of {', '.join(CHECKS)})")
    title = "expect " + ", ".join(dict.fromkeys(c["kind"] for c in checks))
    return {"within": within, "since": since, "checks": checks}, title
