"""A ZCL attribute server: attribute values of a ZigBee device's clusters, and the cluster commands it keeps.

Values are in the GBZ tree form (integers, hex for octet / character strings and fixed
hex types).  The data type of an attribute comes from the ZCL tables
(:mod:`gbcs.gbz.zcl_names`) unless the initial state gives one.  Attributes the tables
know are supported with the type's zero value until written; others are unsupported.
Registers with a rate advance on the virtual clock (e.g. the consumption register); read at an
earlier time they give what they held then.

Initial state comes from a profile's ``[zcl]`` table::

    [zcl]
    "0702/0000" = 12345                       # cluster/attribute (hex) = value
    "0000/0004" = {type = "0x42", value = "736D657473696D"}
    [zcl_rates]
    "0702/0000" = 250                         # units per hour
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gbcs.errors import EncodeError
from gbcs.gbz.zcl_commands import LAYOUTS
from gbcs.gbz.zcl_layouts import write_layout
from gbcs.gbz.zcl_names import attribute_info
from gbcs.gbz.zcl_types import FIXED_HEX, FIXED_INT, STRINGS, write_value

SUCCESS, UNSUPPORTED_ATTRIBUTE, INVALID_DATA_TYPE, INVALID_VALUE = 0x00, 0x86, 0x8D, 0x87
ZclKey = tuple[int, int]
# publishes kept once per value of this field (others: one per command)
PUBLISH_KEYS = {(0x0707, 0x01): "day_id", (0x0707, 0x02): "week_id", (0x0700, 0x05): "command_index",
                (0x0700, 0x06): "command_index"}


def zero_value(type_id: int) -> Any:
    """The zero value of a ZCL data type (0, an empty string, zero bytes), or None when not scalar."""
    if type_id in FIXED_INT:
        return 0
    if type_id in STRINGS:
        return ""
    if type_id in FIXED_HEX:
        return "00" * FIXED_HEX[type_id]
    return None


def parse_key(text: str) -> ZclKey:
    """``"0702/0000"`` -> (0x0702, 0x0000)."""
    cluster, _, attribute = text.partition("/")
    return int(cluster, 16), int(attribute, 16)


def _as_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


_TEMPLATE_CACHE = 32
_templates: dict[tuple[Any, ...], tuple[tuple[Any, ...], ZclModel]] = {}


@dataclass
class ZclModel:
    """Attribute values and rates of one device (or of the copy a GPF keeps of its GSME).

    Copies share the kept publishes (each a dict never changed in place) until one keeps another.
    """

    values: dict[ZclKey, tuple[int, Any]] = field(default_factory=dict)
    rates: dict[ZclKey, float] = field(default_factory=dict)  # units per hour
    epoch: float = 0.0  # virtual time the rates count from
    commands: dict[tuple[int, int], dict[Any, dict[str, Any]]] = field(default_factory=dict)  # kept publishes
    _shared_commands: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def from_tables(cls, state: dict[str, Any], rates: dict[str, Any], epoch: float,
                    publishes: Sequence[dict[str, Any]] = ()) -> ZclModel:
        """A model from the ``[zcl]``, ``[zcl_rates]`` and ``[[zcl_publish]]`` tables of a profile.

        Built once per set of tables (which must not change afterwards, as a profile's never do)
        and copied for each caller.
        """
        tables = tuple(table or None for table in (state, rates, publishes))  # empty tables are all alike
        key = (cls, *map(id, tables))
        cached = _templates.get(key)
        if cached is None or any(a is not b for a, b in zip(cached[0], tables, strict=True)):
            if len(_templates) >= _TEMPLATE_CACHE:
                del _templates[next(iter(_templates))]
            cached = tables, cls._build(state, rates, publishes)
            _templates[key] = cached  # the tables are kept, so their ids are not reused while cached
        model = cached[1].copy()
        model.epoch = epoch
        return model

    @classmethod
    def _build(cls, state: dict[str, Any], rates: dict[str, Any],
               publishes: Sequence[dict[str, Any]]) -> ZclModel:
        model = cls()
        for i, entry in enumerate(publishes):
            cluster, command = _as_int(entry["cluster"]), _as_int(entry["command"])
            layout = LAYOUTS.get((cluster, 1, command))
            if layout is None:
                raise ValueError(f"[[zcl_publish]] {i}: no publish command 0x{command:02X} in cluster 0x{cluster:04X}")
            write_layout(layout, entry["fields"], f"[[zcl_publish]] {i}/fields")  # raises EncodeError
            model.keep(cluster, command, dict(entry["fields"]))
        for key, entry in state.items():
            cluster, attribute = parse_key(key)
            if isinstance(entry, dict):
                type_id, value = _as_int(entry["type"]), entry["value"]
            else:
                info = attribute_info(cluster, attribute)
                if info is None or info[1] is None:
                    raise ValueError(f"[zcl] {key}: unknown attribute, give {{type = ..., value = ...}}")
                type_id, value = info[1], entry
            write_value(type_id, value, f"[zcl] {key}")  # raises EncodeError on a bad value
            model.values[(cluster, attribute)] = (type_id, value)
        model.rates = {parse_key(k): float(v) for k, v in rates.items()}
        return model

    def copy(self) -> ZclModel:
        """An independent copy (the kept publishes are shared until either side keeps another)."""
        if not self.commands:
            return type(self)(dict(self.values), dict(self.rates), self.epoch)
        self._shared_commands = True
        return type(self)(dict(self.values), dict(self.rates), self.epoch, self.commands, True)

    def keep(self, cluster: int, command: int, fields: dict[str, Any]) -> None:
        """Keep a publish (tariff, calendar, billing period ...) the device received."""
        if self._shared_commands:
            self.commands = {k: dict(v) for k, v in self.commands.items()}
            self._shared_commands = False
        key_field = PUBLISH_KEYS.get((cluster, command))
        key = fields.get(key_field, 0) if key_field else 0
        self.commands.setdefault((cluster, command), {})[key] = fields

    def kept(self, cluster: int, command: int) -> list[dict[str, Any]]:
        """The kept publishes of one command, in key order."""
        entries = self.commands.get((cluster, command), {})
        return [entries[k] for k in sorted(entries)]

    def type_of(self, cluster: int, attribute: int) -> int | None:
        """The attribute's data type, or None when the device does not support it."""
        entry = self.values.get((cluster, attribute))
        if entry is not None:
            return entry[0]
        info = attribute_info(cluster, attribute)
        if info is None or info[1] is None or zero_value(info[1]) is None:
            return None
        return info[1]

    def read(self, cluster: int, attribute: int, now: float) -> tuple[int, int | None, Any]:
        """``(status, type, value)`` of one attribute at virtual time ``now``."""
        type_id = self.type_of(cluster, attribute)
        if type_id is None:
            return UNSUPPORTED_ATTRIBUTE, None, None
        entry = self.values.get((cluster, attribute))
        value = entry[1] if entry is not None else zero_value(type_id)
        rate = self.rates.get((cluster, attribute))
        if rate and isinstance(value, int):
            size = FIXED_INT[type_id][0] if type_id in FIXED_INT else 8
            # earlier times (history before commissioning) read what the register held then
            value = max(0, value + int(rate * (now - self.epoch) // 3600)) % (1 << (8 * size))
        return SUCCESS, type_id, value

    def write(self, cluster: int, attribute: int, type_id: int, value: Any, now: float) -> int:
        """Write one attribute; a ZCL status.  A rate-driven register restarts from the written value."""
        expected = self.type_of(cluster, attribute)
        if expected is None:
            return UNSUPPORTED_ATTRIBUTE
        if type_id != expected:
            return INVALID_DATA_TYPE
        try:
            write_value(type_id, value, "")
        except EncodeError:
            return INVALID_VALUE
        if (cluster, attribute) in self.rates:
            self.restart(now)
        self.values[(cluster, attribute)] = (type_id, value)
        return SUCCESS

    def restart(self, now: float) -> None:
        """Fold the rate-driven registers' advance up to ``now`` into their values."""
        for key in self.rates:
            status, type_id, value = self.read(*key, now)
            if status == SUCCESS and type_id is not None:
                self.values[key] = (type_id, value)
        self.epoch = now

    def set(self, cluster: int, attribute: int, value: Any) -> None:
        """Set an attribute the device itself changes (the type from the tables or the current entry)."""
        type_id = self.type_of(cluster, attribute)
        if type_id is not None:
            self.values[(cluster, attribute)] = (type_id, value)

    def get(self, cluster: int, attribute: int, now: float, default: Any = 0) -> Any:
        status, _, value = self.read(cluster, attribute, now)
        return value if status == SUCCESS else default
