"""COSEM interface classes as the emulated DLMS server knows them (DLMS UA Blue Book, IEC 62056-6-2).

For each class: its attributes (name, default value for a new object, whether a client may
write it) and its methods (the names of the semantics in :mod:`emulator.cosem_methods`).
Values are A-XDR trees (docs/tree-format.md).  A default is a tree, or a function of the
OBIS code for attributes whose type or unit follows from the OBIS code (register values and
scaler-units).  A ``None`` default means a CHOICE the class leaves open: a new object holds
null-data there until a client writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Node = dict[str, Any]
Default = Node | Callable[[bytes], Node] | None

NEVER = "FFFFFFFFFFFFFFFFFF8000FF"  # COSEM date-time "not specified" in every field


def node(kind: str, value: Any = None) -> Node:
    """An A-XDR tree node."""
    return {"type": kind} if kind == "null" else {"type": kind, "value": value}


def null() -> Node:
    return {"type": "null"}


def structure(*members: Node) -> Node:
    return {"type": "structure", "value": list(members)}


def array(*items: Node) -> Node:
    return {"type": "array", "value": list(items)}


# ---------------------------------------------------------------------------- units from OBIS


def unit_for(obis: bytes) -> int:
    """The DLMS unit enum of a register from its OBIS code (IEC 62056-6-1 value groups C and D).

    Electricity (A=1): energy (D=8 and demand D=6) in Wh (30) for active and var h (32)
    for reactive quantities; instantaneous power (D=7) in W (27) / var (29); voltage V (35),
    current A (33), frequency Hz (44).  Anything else counts (255).
    """
    a, c, d = obis[0], obis[2], obis[3]
    if a != 1:
        return 255
    active = c in (1, 2, 15, 16, 21, 22, 41, 42, 61, 62)
    reactive = c in (3, 4, 5, 6, 7, 8, 23, 24, 43, 44, 63, 64)
    if d == 8 or d == 9:
        return 30 if active else 32 if reactive else 255
    if d in (4, 5, 6, 7, 24, 25, 26, 27):
        if c in (12, 32, 52, 72):
            return 35
        if c in (11, 31, 51, 71, 91):
            return 33
        if c == 14:
            return 44
        return 27 if active else 29 if reactive else 255
    return 255


def register_value(obis: bytes) -> Node:
    """A register value: double-long-unsigned 0 (energy, power and voltage registers of GBCS meters)."""
    return node("double-long-unsigned", 0)


def scaler_unit(obis: bytes) -> Node:
    """scaler 0 and the unit of :func:`unit_for`."""
    return structure(node("integer", 0), node("enum", unit_for(obis)))


def logical_name(obis: bytes) -> Node:
    return node("octet-string", obis.hex().upper())


# ---------------------------------------------------------------------------- class table


@dataclass(frozen=True, slots=True)
class AttributeDef:
    """One attribute of an interface class."""

    name: str
    default: Default = None
    writable: bool = True
    date_time: bool = False  # an octet-string(12) COSEM date-time


@dataclass(frozen=True, slots=True)
class ClassDef:
    """One interface class: attributes by id, methods by id (semantic names)."""

    class_id: int
    name: str
    attributes: dict[int, AttributeDef]
    methods: dict[int, str] = field(default_factory=dict)
    # attribute id of an activation date-time -> the semantic that runs when it falls due
    activations: dict[int, str] = field(default_factory=dict)


def _cls(class_id: int, name: str, attributes: dict[int, AttributeDef], methods: dict[int, str] | None = None,
         activations: dict[int, str] | None = None) -> ClassDef:
    attrs = {1: AttributeDef("logical_name", logical_name, writable=False), **attributes}
    return ClassDef(class_id, name, attrs, methods or {}, activations or {})


def _a(name: str, default: Default = None, writable: bool = True, date_time: bool = False) -> AttributeDef:
    return AttributeDef(name, default, writable, date_time)


def _dt(name: str, writable: bool = True) -> AttributeDef:
    return AttributeDef(name, node("octet-string", NEVER), writable, True)


_U32 = node("double-long-unsigned", 0)
_I32 = node("double-long", 0)
_U16 = node("long-unsigned", 0)
_EMPTY = node("octet-string", "")
_NO_ITEMS = array()

CLASSES: dict[int, ClassDef] = {c.class_id: c for c in (
    _cls(1, "Data", {2: _a("value")}),
    _cls(3, "Register", {2: _a("value", register_value), 3: _a("scaler_unit", scaler_unit)}, {1: "reset"}),
    _cls(4, "Extended register", {
        2: _a("value", register_value), 3: _a("scaler_unit", scaler_unit), 4: _a("status"),
        5: _dt("capture_time", writable=False),
    }, {1: "reset"}),
    _cls(5, "Demand register", {
        2: _a("current_average_value", register_value), 3: _a("last_average_value", register_value),
        4: _a("scaler_unit", scaler_unit), 5: _a("status"), 6: _dt("capture_time", writable=False),
        7: _dt("start_time_current", writable=False), 8: _a("period", node("double-long-unsigned", 1800)),
        9: _a("number_of_periods", node("long-unsigned", 1)),
    }, {1: "reset", 2: "next_period"}),
    _cls(7, "Profile generic", {
        2: _a("buffer", _NO_ITEMS, writable=False), 3: _a("capture_objects", _NO_ITEMS),
        4: _a("capture_period", node("double-long-unsigned", 1800)), 5: _a("sort_method", node("enum", 1)),
        6: _a("sort_object", structure(_U16, node("octet-string", "000000000000"), node("integer", 0), _U16)),
        7: _a("entries_in_use", _U32, writable=False), 8: _a("profile_entries", node("double-long-unsigned", 1440)),
    }, {1: "profile_reset", 2: "capture"}),
    _cls(8, "Clock", {
        2: _a("time"), 3: _a("time_zone", node("long", 0)), 4: _a("status", node("unsigned", 0)),
        5: _dt("daylight_savings_begin"), 6: _dt("daylight_savings_end"),
        7: _a("daylight_savings_deviation", node("integer", 60)),
        8: _a("daylight_savings_enabled", node("boolean", False)), 9: _a("clock_base", node("enum", 1)),
    }, {1: "adjust_to_quarter", 2: "adjust_to_measuring_period", 3: "adjust_to_minute",
        4: "adjust_to_preset_time", 5: "preset_adjusting_time", 6: "shift_time"}),
    _cls(9, "Script table", {2: _a("scripts", _NO_ITEMS)}, {1: "execute"}),
    _cls(10, "Schedule", {2: _a("entries", _NO_ITEMS)}, {1: "enable_disable", 2: "insert", 3: "delete"}),
    _cls(11, "Special days table", {2: _a("entries", _NO_ITEMS)}, {1: "special_day_insert", 2: "special_day_delete"}),
    _cls(17, "SAP assignment", {2: _a("SAP_assignment_list", _NO_ITEMS)}),
    _cls(18, "Image transfer", {
        2: _a("image_block_size", node("double-long-unsigned", 200), writable=False),
        3: _a("image_transferred_blocks_status", node("bit-string", ""), writable=False),
        4: _a("image_first_not_transferred_block_number", _U32, writable=False),
        5: _a("image_transfer_enabled", node("boolean", True)), 6: _a("image_transfer_status", node("enum", 0)),
        7: _a("image_to_activate_info", _NO_ITEMS, writable=False),
    }, {1: "image_transfer_initiate", 2: "image_block_transfer", 3: "image_verify", 4: "image_activate"}),
    _cls(20, "Activity calendar", {
        2: _a("calendar_name_active", _EMPTY), 3: _a("season_profile_active", _NO_ITEMS),
        4: _a("week_profile_table_active", _NO_ITEMS), 5: _a("day_profile_table_active", _NO_ITEMS),
        6: _a("calendar_name_passive", _EMPTY), 7: _a("season_profile_passive", _NO_ITEMS),
        8: _a("week_profile_table_passive", _NO_ITEMS), 9: _a("day_profile_table_passive", _NO_ITEMS),
        10: _dt("activate_passive_calendar_time"),
    }, {1: "activate_passive_calendar"}, {10: "activate_passive_calendar"}),
    _cls(21, "Register monitor", {
        2: _a("thresholds", _NO_ITEMS),
        3: _a("monitored_value", structure(_U16, node("octet-string", "000000000000"), node("integer", 0))),
        4: _a("actions", _NO_ITEMS),
    }),
    _cls(22, "Single action schedule", {
        2: _a("executed_script", structure(node("octet-string", "000000000000"), _U16)),
        3: _a("type", node("enum", 1)), 4: _a("execution_time", _NO_ITEMS),
    }),
    _cls(30, "Data protection", {
        2: _a("protection_buffer", _EMPTY, writable=False), 3: _a("protection_object_list", _NO_ITEMS),
        4: _a("protection_parameters_get", _NO_ITEMS), 5: _a("protection_parameters_set", _NO_ITEMS),
        6: _a("required_protection", node("enum", 0)),
    }, {1: "get_protected_attributes", 2: "set_protected_attributes", 3: "invoke_protected_method"}),
    _cls(40, "Push setup", {
        2: _a("push_object_list", _NO_ITEMS), 3: _a("send_destination_and_method"),
        4: _a("communication_window", _NO_ITEMS), 5: _a("randomisation_start_interval", _U16),
        6: _a("number_of_retries", node("unsigned", 0)), 7: _a("repetition_delay", _U16),
    }, {1: "push"}),
    _cls(61, "Register table", {
        2: _a("table_cell_values", _NO_ITEMS, writable=False), 3: _a("table_cell_definition"),
        4: _a("scaler_unit", structure(node("integer", 0), node("enum", 255))),
    }, {1: "reset", 2: "capture"}),
    _cls(63, "Status mapping", {2: _a("status_word"), 3: _a("mapping_table")}),
    _cls(64, "Security setup", {
        2: _a("security_policy", node("enum", 0)), 3: _a("security_suite", node("enum", 1)),
        4: _a("client_system_title", _EMPTY), 5: _a("server_system_title", _EMPTY, writable=False),
        6: _a("certificates", _NO_ITEMS, writable=False),
    }),
    _cls(70, "Disconnect control", {
        2: _a("output_state", node("boolean", True), writable=False),
        3: _a("control_state", node("enum", 1), writable=False), 4: _a("control_mode", node("enum", 0)),
    }, {1: "remote_disconnect", 2: "remote_reconnect"}),
    _cls(71, "Limiter", {
        2: _a("monitored_value", structure(_U16, node("octet-string", "000000000000"), node("integer", 0))),
        3: _a("threshold_active", _U32), 4: _a("threshold_normal", _U32), 5: _a("threshold_emergency", _U32),
        6: _a("min_over_threshold_duration", _U32), 7: _a("min_under_threshold_duration", _U32),
        8: _a("emergency_profile", structure(_U16, node("octet-string", NEVER), _U32)),
        9: _a("emergency_profile_group_id_list", _NO_ITEMS), 10: _a("emergency_profile_active", node("boolean", False)),
        11: _a("actions", structure(structure(node("octet-string", "000000000000"), _U16),
                                    structure(node("octet-string", "000000000000"), _U16))),
    }),
    _cls(104, "ZigBee network control", {
        2: _a("enable_disable_joining", node("boolean", False)), 3: _a("join_timeout", _U16),
        4: _a("active_devices", _NO_ITEMS, writable=False),
    }, {1: "register_device", 2: "unregister_device", 3: "unregister_all_devices", 4: "backup_pan",
        5: "restore_pan", 6: "identify_device", 7: "remove_mirror", 8: "update_network_key",
        9: "update_link_key", 10: "create_pan", 11: "remove_pan"}),
    _cls(111, "Account", {
        2: _a("account_mode_and_status", structure(node("enum", 1), node("enum", 1))),
        3: _a("current_credit_in_use", node("unsigned", 0), writable=False),
        4: _a("current_credit_status", node("bit-string", ""), writable=False),
        5: _a("available_credit", _I32, writable=False), 6: _a("amount_to_clear", _I32, writable=False),
        7: _a("clearance_threshold", _I32), 8: _a("aggregated_debt", _I32, writable=False),
        9: _a("credit_reference_list", _NO_ITEMS), 10: _a("charge_reference_list", _NO_ITEMS),
        11: _a("credit_charge_configuration", _NO_ITEMS), 12: _a("token_gateway_configuration", _NO_ITEMS),
        13: _dt("account_activation_time"), 14: _dt("account_closure_time"),
        15: _a("currency", structure(_EMPTY, node("integer", 0), node("enum", 0))),
        16: _a("low_credit_threshold", _I32), 17: _a("next_credit_available_threshold", _I32),
        18: _a("max_provision", _U16), 19: _a("max_provision_period", _I32),
    }, {1: "activate_account", 2: "close_account", 3: "reset_account"}, {13: "activate_account"}),
    _cls(112, "Credit", {
        2: _a("current_credit_amount", _I32, writable=False), 3: _a("type", node("enum", 0)),
        4: _a("priority", node("unsigned", 1)), 5: _a("warning_threshold", _I32), 6: _a("limit", _I32),
        7: _a("credit_configuration", node("bit-string", "")), 8: _a("status", node("enum", 0), writable=False),
        9: _a("preset_credit_amount", _I32), 10: _a("credit_available_threshold", _I32),
        11: _dt("period"),
    }, {1: "update_amount", 2: "set_amount_to_value", 3: "invoke_credit"}),
    _cls(113, "Charge", {
        2: _a("total_amount_paid", _I32, writable=False), 3: _a("charge_type", node("enum", 0)),
        4: _a("priority", node("unsigned", 1)),
        5: _a("unit_charge_active", None, writable=False), 6: _a("unit_charge_passive"),
        7: _dt("unit_charge_activation_time"), 8: _a("period", _U32),
        9: _a("charge_configuration", node("bit-string", "")), 10: _dt("last_collection_time", writable=False),
        11: _a("last_collection_amount", _I32, writable=False), 12: _a("total_amount_remaining", _I32),
        13: _a("proportion", _U16),
    }, {1: "update_unit_charge", 2: "activate_passive_unit_charge", 3: "collect",
        4: "update_total_amount_remaining", 5: "set_total_amount_remaining"},
        {7: "activate_passive_unit_charge"}),
    _cls(115, "Token gateway", {
        2: _a("token", _EMPTY, writable=False), 3: _dt("token_time", writable=False),
        4: _a("token_description", _NO_ITEMS, writable=False), 5: _a("token_delivery_method", node("enum", 0)),
        6: _a("token_status", structure(node("enum", 0), node("bit-string", "")), writable=False),
    }, {1: "enter"}),
    # GBCS-specific class (not in the Blue Book) [I]: a value with a passive copy and an activation
    # date-time, the way ECS01a activates the currency unit, special days and block thresholds.
    _cls(9000, "GBCS extended data", {
        2: _a("value"), 3: _a("scaler_unit"), 4: _a("passive_value"), 5: _a("passive_scaler_unit"),
        6: _dt("activation_time"),
    }, {}, {6: "activate_passive_value"}),
)}


def class_def(class_id: int) -> ClassDef | None:
    """The definition of an interface class, or None when the server does not know it."""
    return CLASSES.get(class_id)


def default_value(cls: ClassDef, attribute: int, obis: bytes) -> Node | None:
    """A new object's value of ``attribute`` (None: the class has no such attribute)."""
    attr = cls.attributes.get(attribute)
    if attr is None:
        return None
    default = attr.default
    if default is None:
        return null()
    if callable(default):
        return default(obis)
    return default
