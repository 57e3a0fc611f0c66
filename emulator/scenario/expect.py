"""Expectations: what must (or must not) have arrived, been traced or be in a device log.

An expect step first lets ``within`` virtual seconds pass, then checks every expectation
against the window (what arrived since the previous expect step, or since the start), and
closes the window.  All failing expectations are reported together.
"""

from __future__ import annotations

from typing import Any

from gbcs.errors import DecodeError
from gbcs.message import decode_message

from .model import DeviceDecl
from .world import Arrival, StepFailed, World

ALERT, RESPONSE = "alert", "response"


def results_of(tree: dict[str, Any]) -> list[int] | None:
    """The outcome codes of a response: DLMS results, a status per GBZ component, or an ASN.1 response code."""
    payload = tree.get("payload") or {}
    if isinstance(payload.get("results"), list):
        return [r.get("result") for r in payload["results"]]
    if isinstance(payload.get("components"), list):
        statuses = []
        for component in payload["components"]:
            zcl = component.get("zcl") or {}
            status = (zcl.get("fields") or {}).get("status")
            if status is None:
                failing = [r.get("status", 0) for r in zcl.get("records") or [] if r.get("status", 0)]
                status = failing[0] if failing else 0
            statuses.append(status)
        return statuses
    value = payload.get("value")
    if isinstance(value, dict):
        if isinstance(value.get("value"), int):
            return [value["value"]]
        code = value.get("responseCode")
        if isinstance(code, dict) and isinstance(code.get("value"), int):
            return [code["value"]]
    return None


def alert_code_of(tree: dict[str, Any]) -> int | None:
    """The alert code of a DLMS or GBZ alert."""
    payload = tree.get("payload") or {}
    code = payload.get("alert_code")
    if code is None:
        members = (payload.get("notification") or {}).get("value") or [{}]
        code = members[0].get("value") if isinstance(members, list) and members else None
    return code if isinstance(code, int) else None


def field_at(tree: Any, path: str) -> Any:
    """The value at a ``/``-separated path of a decoded message (list items by index); KeyError when absent."""
    value = tree
    for part in (p for p in str(path).split("/") if p):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value[part]
        else:
            raise KeyError(path)
    return value


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.upper() == actual.upper()
    return expected == actual


def _count_problem(what: str, found: int, count: int | None, minimum: int | None) -> str | None:
    if count is not None and found != count:
        return f"{what}: {found} arrived, expected {count}"
    if count is None and found < (1 if minimum is None else minimum):
        return f"{what}: {found} arrived, expected at least {1 if minimum is None else minimum}"
    return None


class Checker:
    """Checks the expectations of one expect step against one window."""

    def __init__(self, world: World, since_start: bool) -> None:
        self.world = world
        self.since_start = since_start
        self.arrivals = world.arrivals(since_start)
        self._trees: dict[int, dict[str, Any]] = {}

    def tree(self, arrival: Arrival) -> dict[str, Any]:
        key = id(arrival)
        if key not in self._trees:
            try:
                self._trees[key] = decode_message(arrival.message)
            except DecodeError as exc:
                self._trees[key] = {"ok": False, "error": str(exc)}
        return self._trees[key]

    def _from(self, spec: dict[str, Any], kind: str) -> list[Arrival]:
        source: DeviceDecl | None = spec.get("from")
        to: DeviceDecl | None = spec.get("to")
        return [a for a in self.arrivals if a.kind == kind
                and (source is None or a.source == source.eui)
                and (a.to is None if to is None else a.to == to.eui)]

    def _verified(self, arrival: Arrival) -> bool:
        device = next((d for d in self.world.devices.values() if d.eui == arrival.source), None)
        if device is None:
            return False
        checked = self.world.parties.check(device, arrival.message)
        outcomes = [checked.get("signature_valid"), checked.get("mac_valid")]
        return True in outcomes and False not in outcomes

    def describe(self, spec: dict[str, Any], what: str) -> str:
        parts = [what]
        if spec.get("from") is not None:
            parts.append(f"from {spec['from'].name}")
        if spec.get("to") is not None:
            parts.append(f"to {spec['to'].name}")
        return " ".join(parts)

    def response(self, spec: dict[str, Any]) -> list[str]:
        candidates = self._from(spec, RESPONSE)
        reasons: list[str] = []
        matching = []
        for arrival in candidates:
            why = self._response_mismatch(arrival, spec)
            if why is None:
                matching.append(arrival)
            else:
                reasons.append(why)
        problem = _count_problem(self.describe(spec, "response"), len(matching), spec["count"], spec["min"])
        if problem is None:
            return []
        if reasons:
            problem = problem.replace(" arrived,", " matching arrived,")
            problem += f"; {len(reasons)} other: {'; '.join(dict.fromkeys(reasons))}"
        elif not candidates:
            problem += f"; arrived in the window: {self._summary()}"
        return [problem]

    def _response_mismatch(self, arrival: Arrival, spec: dict[str, Any]) -> str | None:
        tree = self.tree(arrival)
        if not tree.get("ok", False):
            return f"undecodable: {tree.get('error')}"
        if spec["message_code"] is not None and tree.get("message_code") != spec["message_code"]:
            return f"message code 0x{tree.get('message_code', 0):04X}"
        if spec["result"] is not None:
            results = results_of(tree)
            if results != spec["result"]:
                return f"result {results}, expected {spec['result']}"
        for path, expected in spec["fields"].items():
            try:
                actual = field_at(tree, path)
            except (KeyError, IndexError, ValueError):
                if expected is None:  # null: the field must be absent (or null)
                    continue
                return f"no field {path}"
            if not _same(expected, actual):
                return f"{path} is {actual!r}, expected {expected!r}"
        if spec["verified"] and not self._verified(arrival):
            return "its signature / MAC does not verify"
        return None

    def alert(self, spec: dict[str, Any]) -> list[str]:
        candidates = self._from(spec, ALERT)
        matching = []
        for arrival in candidates:
            tree = self.tree(arrival)
            if spec["code"] is not None and alert_code_of(tree) != spec["code"]:
                continue
            if spec["message_code"] is not None and tree.get("message_code") != spec["message_code"]:
                continue
            if spec["verified"] and not self._verified(arrival):
                continue
            matching.append(arrival)
        what = self.describe(spec, "alert" + (f" 0x{spec['code']:04X}" if spec["code"] is not None else ""))
        problem = _count_problem(what, len(matching), spec["count"], spec["min"])
        return [f"{problem}; arrived in the window: {self._summary()}"] if problem else []

    def no_response(self, spec: dict[str, Any]) -> list[str]:
        found = self._from(spec, RESPONSE)
        return [f"{self.describe(spec, 'no response')}: {self._summary(found)} arrived"] if found else []

    def no_alert(self, spec: dict[str, Any]) -> list[str]:
        found = [a for a in self._from(spec, ALERT)
                 if spec["code"] is None or alert_code_of(self.tree(a)) == spec["code"]]
        what = self.describe(spec, "no alert" + (f" 0x{spec['code']:04X}" if spec["code"] is not None else ""))
        return [f"{what}: {self._summary(found)} arrived"] if found else []

    def trace(self, spec: dict[str, Any]) -> list[str]:
        device: DeviceDecl | None = spec["device"]
        events = [e for e in self.world.trace(spec["premises"], self.since_start) if e.event == spec["event"]
                  and (device is None or device.eui in (e.src, e.dst))
                  and (spec["detail"] is None or spec["detail"].lower() in e.detail.lower())]
        what = f"trace '{spec['event']}'" + (f" of {device.name}" if device else "")
        problem = _count_problem(what, len(events), spec["count"], spec["min"])
        return [problem.replace("arrived", "seen")] if problem else []

    def device_log(self, spec: dict[str, Any]) -> list[str]:
        premises = self.world.premises_named(spec["premises"])
        log = premises.log
        problems = []
        for decl in spec["contains"]:
            if decl.eui not in log:
                problems.append(f"{decl.name} is not in the CHF device log")
        for decl in spec["absent"]:
            if decl.eui in log:
                problems.append(f"{decl.name} is in the CHF device log")
        for decl in spec["historic_contains"]:
            if decl.eui not in log.historic:
                problems.append(f"{decl.name} is not in the historic device log")
        for decl in spec["historic_absent"]:
            if decl.eui in log.historic:
                problems.append(f"{decl.name} is in the historic device log")
        for decl in spec["joined"]:
            if not premises.node(decl.eui).joined:
                problems.append(f"{decl.name} is not joined")
        for decl in spec["not_joined"]:
            if premises.node(decl.eui).joined:
                problems.append(f"{decl.name} is joined")
        if spec["size"] is not None and len(log) != spec["size"]:
            problems.append(f"the device log holds {len(log)} devices, expected {spec['size']}")
        if spec["historic"] is not None and len(log.historic) != spec["historic"]:
            problems.append(f"the historic log holds {len(log.historic)} entries, expected {spec['historic']}")
        return problems

    def _summary(self, arrivals: list[Arrival] | None = None) -> str:
        """What arrived, counted by kind, source and alert code."""
        arrivals = self.arrivals if arrivals is None else arrivals
        if not arrivals:
            return "nothing"
        counts: dict[str, int] = {}
        for arrival in arrivals:
            tree = self.tree(arrival)
            label = f"{arrival.kind} from {self.world.name_of(arrival.source)}"
            if arrival.kind == ALERT and alert_code_of(tree) is not None:
                label += f" (0x{alert_code_of(tree):04X})"
            counts[label] = counts.get(label, 0) + 1
        return ", ".join(f"{n} x {label}" if n > 1 else label for label, n in counts.items())


def run_expect(world: World, spec: dict[str, Any]) -> str:
    """The expect step: wait ``within``, check every expectation, close the window."""
    if spec["within"]:
        world.clock.advance(spec["within"])
    checker = Checker(world, spec["since"] == "start")
    problems: list[str] = []
    for check in spec["checks"]:
        problems.extend(getattr(checker, check["kind"])(check))
    world.mark()
    if problems:
        raise StepFailed("; ".join(problems))
    return f"{len(spec['checks'])} checks, {len(checker.arrivals)} messages in the window"
