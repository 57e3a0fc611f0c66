"""A DLMS server: execute an access-request against a device's COSEM objects, build the access-response.

Each request specification runs in order (gbcs spec §3.1): get, get-with-selection, set and
action, each answering with a data-access-result or action-result and its data (the value
for a get, null for a set, the return parameters of an action).  Once one instruction
fails, the following ones are not executed and answer other-reason (250), as GBCS
devices do (requirements §7, ECS47e).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from gbcs.dlms.cosem import parse_obis

from . import cosem_methods, cosem_time
from .cosem_classes import Node, node, null
from .cosem_model import (
    HARDWARE_FAULT,
    OBJECT_UNDEFINED,
    OTHER_REASON,
    READ_WRITE_DENIED,
    SUCCESS,
    TYPE_UNMATCHED,
    CosemError,
    CosemObject,
)

if TYPE_CHECKING:
    from .cosem_device import CosemDevice
    from .security import Incoming

RESPONSE_KIND = {"get": "get", "get-with-selection": "get", "set": "set", "set-with-selection": "set",
                 "action": "action"}
RANGE_DESCRIPTOR = 1
ENTRY_DESCRIPTOR = 2


def describe_type(value: Node) -> dict[str, Any]:
    """The compact-array type description of a tagged value."""
    kind = value.get("type")
    if kind == "structure":
        return {"type": "structure", "members": [describe_type(m) for m in value["value"]]}
    if kind == "array":
        items = value["value"]
        return {"type": "array", "count": len(items),
                "element": describe_type(items[0]) if items else {"type": "null"}}
    return {"type": kind}


def untagged(value: Node) -> Any:
    """A tagged value as a compact-array element."""
    if value.get("type") in ("structure", "array"):
        return [untagged(m) for m in value["value"]]
    return value.get("value")


class DlmsServer:
    """Executes the instructions of one command for one device."""

    __slots__ = ("device", "incoming", "plaintexts", "_index")

    def __init__(self, device: CosemDevice, incoming: Incoming | None = None) -> None:
        self.device = device
        self.incoming = incoming
        self.plaintexts: list[tuple[str, bytes]] = []  # (pointer into the response tree, plaintext)
        self._index = 0

    def protect(self, plaintext: bytes, pointer: str) -> None:
        """Have ``plaintext`` encrypted into the current instruction's data at ``pointer`` (relative)."""
        self.plaintexts.append((f"/data/{self._index}{pointer}", plaintext))

    def execute(self, request: dict[str, Any]) -> dict[str, Any]:
        """The access-response tree for an access-request tree."""
        data: list[Node] = []
        results: list[dict[str, Any]] = []
        failed = False
        fault = self.device.active_fault
        fault_at = fault.index(len(request["requests"])) if fault is not None else -1
        for index, (spec, value) in enumerate(zip(request["requests"], request["data"], strict=True)):
            kind = spec["kind"]
            self._index = index
            if failed:
                code, out = OTHER_REASON, null()
            elif index == fault_at:  # a hardware fault (emulator.faults): the request does not execute
                code, out, failed = HARDWARE_FAULT, null(), True
            else:
                try:
                    code, out = SUCCESS, self.run(spec, value)
                except CosemError as exc:
                    code, out = exc.code, null()
                    self.plaintexts = [p for p in self.plaintexts if not p[0].startswith(f"/data/{index}/")]
                failed = code != SUCCESS
            data.append(out)
            results.append({"kind": RESPONSE_KIND[kind], "result": code})
        return {"apdu": "access-response", "invoke_id": request["invoke_id"], "date_time": None,
                "requests": None, "data": data, "results": results}

    def run(self, spec: dict[str, Any], value: Node) -> Node:
        """One instruction: the data of its response; raises CosemError on failure."""
        kind = spec["kind"]
        obis = parse_obis(spec["obis"])
        class_id = spec["class_id"]
        if kind == "get":
            return self.get(class_id, obis, spec["attribute"])
        if kind == "get-with-selection":
            return self.get(class_id, obis, spec["attribute"], spec["selector"], spec["selector_parameters"])
        if kind == "set":
            self.set(class_id, obis, spec["attribute"], value)
            return null()
        if kind == "action":
            return self.action(class_id, obis, spec["method"], value) or null()
        raise CosemError(OTHER_REASON, f"{kind} is not supported")

    # ------------------------------------------------------------------ services

    def get(self, class_id: int, obis: bytes, attribute: int, selector: int | None = None,
            parameters: Node | None = None) -> Node:
        obj = self.device.model.find(class_id, obis)
        value = self.device.read(obj, attribute)
        if selector:
            if class_id != 7 or attribute != 2:
                raise CosemError(OTHER_REASON, "selective access is defined for profile buffers only")
            return self.select(obj, value, selector, parameters or null())
        return value

    def set(self, class_id: int, obis: bytes, attribute: int, value: Node) -> None:
        obj = self.device.model.find(class_id, obis)
        definition = obj.cls.attributes.get(attribute)
        if definition is None:
            raise CosemError(OBJECT_UNDEFINED, f"class {class_id} has no attribute {attribute}")
        if not definition.writable:
            raise CosemError(READ_WRITE_DENIED, f"{definition.name} is read-only")
        current = obj.read(attribute)
        if definition.default is not None and current.get("type") != value.get("type"):
            raise CosemError(TYPE_UNMATCHED, f"{definition.name} is {current.get('type')}, not {value.get('type')}")
        if definition.date_time and len(value.get("value", "")) != 24:
            raise CosemError(TYPE_UNMATCHED, f"{definition.name} is a 12-byte date-time")
        if not self.device.write(obj, attribute, value):
            obj.write(attribute, copy.deepcopy(value))
        activation = obj.cls.activations.get(attribute)
        if activation is not None:
            self.activate_at(obj, attribute, activation, bytes.fromhex(value["value"]))

    def action(self, class_id: int, obis: bytes, method: int, parameters: Node) -> Node | None:
        obj = self.device.model.find(class_id, obis)
        name = obj.cls.methods.get(method)
        if name is None:
            raise CosemError(OBJECT_UNDEFINED, f"class {class_id} has no method {method}")
        special = self.device.method_override(self, obj, name, parameters)
        if special is not NotImplemented:
            return special
        return cosem_methods.run(name, self.device, obj, parameters)

    # ------------------------------------------------------------------ activations (future dating)

    def activate_at(self, obj: CosemObject, attribute: int, semantic: str, raw: bytes) -> None:
        """An activation date-time was written: run now, schedule (future-dated), or cancel ("never")."""
        device = self.device
        target = (obj.class_id, obj.obis, attribute)
        when = cosem_time.decode(raw)
        if when is None or when == cosem_time.NEVER:
            device.future.cancel(target)
            return

        def run() -> bool:
            cosem_methods.run(semantic, device, obj, null())
            return True

        if when == cosem_time.NOW or when <= device.now():
            device.future.cancel(target)
            run()
            return
        incoming = self.incoming
        if incoming is None:
            raise CosemError(OTHER_REASON, "future dating needs a command")
        device.store_future(incoming, target, when, run)

    # ------------------------------------------------------------------ selective access

    def select(self, obj: CosemObject, buffer: Node, selector: int, parameters: Node) -> Node:
        """A profile buffer restricted by a range or entry descriptor, as GBCS sends it: a compact-array."""
        rows = buffer.get("value") or []
        members = parameters.get("value") if parameters.get("type") == "structure" else None
        columns: list[int] | None = None
        if selector == RANGE_DESCRIPTOR:
            if members and len(members) == 2:  # the short GBCS form {from, to}: restricted by the first column
                column, low, high = 0, self._bound(members[0]), self._bound(members[1])
            elif members and len(members) == 4:
                column = self._column_of(obj, members[0])
                low, high = self._bound(members[1]), self._bound(members[2])
                columns = self._selected_columns(obj, members[3])
            else:
                raise CosemError(TYPE_UNMATCHED, "range descriptor: structure{object, from, to, columns} or {from, to}")
            rows = [row for row in rows if self._in_range(row, column, low, high)]
        elif selector == ENTRY_DESCRIPTOR:
            if not members or len(members) != 4:
                raise CosemError(TYPE_UNMATCHED, "entry descriptor: structure{from, to, from column, to column}")
            first, last = members[0].get("value") or 1, members[1].get("value") or 0
            rows = rows[first - 1: last or None]
            low_col, high_col = members[2].get("value") or 1, members[3].get("value") or 0
            if low_col > 1 or high_col:
                width = len(rows[0]["value"]) if rows else 0
                columns = list(range(low_col - 1, high_col or width))
        else:
            raise CosemError(OTHER_REASON, f"access selector {selector} is not supported")
        if columns is not None:
            rows = [{"type": "structure", "value": [row["value"][i] for i in columns if i < len(row["value"])]}
                    for row in rows]
        template = rows[0] if rows else self._row_template(obj, columns)
        return {"type": "compact-array", "type_description": describe_type(template),
                "value": [untagged(row) for row in rows]}

    def _capture_objects(self, obj: CosemObject) -> list[tuple[int, bytes, int]]:
        out = []
        for definition in self.device.read(obj, 3).get("value") or []:
            fields = definition.get("value") or []
            try:
                out.append((fields[0]["value"], bytes.fromhex(fields[1]["value"]), fields[2]["value"]))
            except (KeyError, IndexError, ValueError, TypeError):
                continue
        return out

    def _column_of(self, obj: CosemObject, restricting: Node) -> int:
        fields = restricting.get("value") or []
        try:
            wanted = (fields[0]["value"], bytes.fromhex(fields[1]["value"]), fields[2]["value"])
        except (KeyError, IndexError, ValueError, TypeError):
            raise CosemError(TYPE_UNMATCHED, "restricting object: structure{class, OBIS, attribute, index}") from None
        captured = self._capture_objects(obj)
        return captured.index(wanted) if wanted in captured else 0

    def _selected_columns(self, obj: CosemObject, selected: Node) -> list[int] | None:
        items = selected.get("value") or []
        if not items:
            return None
        captured = self._capture_objects(obj)
        columns = []
        for item in items:
            fields = item.get("value") or []
            try:
                key = (fields[0]["value"], bytes.fromhex(fields[1]["value"]), fields[2]["value"])
            except (KeyError, IndexError, ValueError, TypeError):
                continue
            if key in captured:
                columns.append(captured.index(key))
        return columns

    @staticmethod
    def _bound(value: Node) -> float | None:
        """A range bound as a comparable number: a COSEM date-time or an integer (UTC seconds since 2000)."""
        kind = value.get("type")
        if kind == "octet-string":
            when = cosem_time.decode(bytes.fromhex(value.get("value", "")))
            return when if isinstance(when, float) else None
        if isinstance(value.get("value"), int):  # UTC seconds since 2000, the GBCS buffer time column
            return cosem_time.from_gbcs_seconds(value["value"])
        return None

    def _in_range(self, row: Node, column: int, low: float | None, high: float | None) -> bool:
        cells = row.get("value") or []
        if column >= len(cells):
            return False
        cell = self._bound(cells[column])
        if cell is None:
            return False
        return (low is None or cell >= low) and (high is None or cell <= high)

    def _row_template(self, obj: CosemObject, columns: list[int] | None) -> Node:
        """The row type of an empty buffer: the device's own layout, else the captured attributes' values."""
        own = self.device.row_template(obj)
        if own is not None:
            return own
        cells = []
        for class_id, obis, attribute in self._capture_objects(obj):
            try:
                cells.append(self.device.capture_value(class_id, obis, attribute))
            except CosemError:
                cells.append(node("double-long-unsigned", 0))
        if columns is not None:
            cells = [cells[i] for i in columns if i < len(cells)]
        return {"type": "structure", "value": cells}
