"""COSEM interface classes, attribute/method names and OBIS code names used by GBCS ESMEs and CHFs.

Names follow the DLMS UA Blue Book (IEC 62056-6-2); OBIS names cover the objects GBCS
use cases address.  Unknown classes and codes simply get no name.
"""

from __future__ import annotations

# class id -> (class name, {attribute id: name}, {method id: name})
CLASSES: dict[int, tuple[str, dict[int, str], dict[int, str]]] = {
    1: ("Data", {1: "logical_name", 2: "value"}, {}),
    3: ("Register", {1: "logical_name", 2: "value", 3: "scaler_unit"}, {1: "reset"}),
    4: (
        "Extended register",
        {1: "logical_name", 2: "value", 3: "scaler_unit", 4: "status", 5: "capture_time"},
        {1: "reset"},
    ),
    5: (
        "Demand register",
        {
            1: "logical_name", 2: "current_average_value", 3: "last_average_value", 4: "scaler_unit",
            5: "status", 6: "capture_time", 7: "start_time_current", 8: "period", 9: "number_of_periods",
        },
        {1: "reset", 2: "next_period"},
    ),
    7: (
        "Profile generic",
        {
            1: "logical_name", 2: "buffer", 3: "capture_objects", 4: "capture_period", 5: "sort_method",
            6: "sort_object", 7: "entries_in_use", 8: "profile_entries",
        },
        {1: "reset", 2: "capture"},
    ),
    8: (
        "Clock",
        {
            1: "logical_name", 2: "time", 3: "time_zone", 4: "status", 5: "daylight_savings_begin",
            6: "daylight_savings_end", 7: "daylight_savings_deviation", 8: "daylight_savings_enabled",
            9: "clock_base",
        },
        {1: "adjust_to_quarter", 2: "adjust_to_measuring_period", 3: "adjust_to_minute",
         4: "adjust_to_preset_time", 5: "preset_adjusting_time", 6: "shift_time"},
    ),
    9: ("Script table", {1: "logical_name", 2: "scripts"}, {1: "execute"}),
    11: ("Special days table", {1: "logical_name", 2: "entries"}, {1: "insert", 2: "delete"}),
    15: (
        "Association LN",
        {1: "logical_name", 2: "object_list", 3: "associated_partners_id", 4: "application_context_name",
         5: "xDLMS_context_info", 6: "authentication_mechanism_name", 7: "secret",
         8: "association_status", 9: "security_setup_reference"},
        {1: "reply_to_HLS_authentication", 2: "change_HLS_secret", 3: "add_object", 4: "remove_object"},
    ),
    18: (
        "Image transfer",
        {1: "logical_name", 2: "image_block_size", 3: "image_transferred_blocks_status",
         4: "image_first_not_transferred_block_number", 5: "image_transfer_enabled",
         6: "image_transfer_status", 7: "image_to_activate_info"},
        {1: "image_transfer_initiate", 2: "image_block_transfer", 3: "image_verify", 4: "image_activate"},
    ),
    20: (
        "Activity calendar",
        {1: "logical_name", 2: "calendar_name_active", 3: "season_profile_active", 4: "week_profile_table_active",
         5: "day_profile_table_active", 6: "calendar_name_passive", 7: "season_profile_passive",
         8: "week_profile_table_passive", 9: "day_profile_table_passive", 10: "activate_passive_calendar_time"},
        {1: "activate_passive_calendar"},
    ),
    21: ("Register monitor", {1: "logical_name", 2: "thresholds", 3: "monitored_value", 4: "actions"}, {}),
    22: ("Single action schedule", {1: "logical_name", 2: "executed_script", 3: "type", 4: "execution_time"}, {}),
    26: ("Utility tables", {1: "logical_name", 2: "table_ID", 3: "length", 4: "buffer"}, {}),
    30: (
        "Data protection",
        {1: "logical_name", 2: "protection_buffer", 3: "protection_object_list",
         4: "protection_parameters_get", 5: "protection_parameters_set", 6: "required_protection"},
        {1: "get_protected_attributes", 2: "set_protected_attributes", 3: "invoke_protected_method"},
    ),
    40: ("Push setup", {1: "logical_name", 2: "push_object_list", 3: "send_destination_and_method"}, {1: "push"}),
    61: ("Register table", {1: "logical_name", 2: "table_cell_values", 3: "table_cell_definition",
                            4: "scaler_unit"}, {1: "reset", 2: "capture"}),
    63: ("Status mapping", {1: "logical_name", 2: "status_word", 3: "mapping_table"}, {}),
    64: ("Security setup", {1: "logical_name", 2: "security_policy", 3: "security_suite",
                            4: "client_system_title", 5: "server_system_title", 6: "certificates"},
         {1: "security_activate", 2: "key_transfer", 3: "key_agreement", 4: "generate_key_pair",
          5: "generate_certificate_request", 6: "import_certificate", 7: "export_certificate",
          8: "remove_certificate"}),
    70: ("Disconnect control", {1: "logical_name", 2: "output_state", 3: "control_state", 4: "control_mode"},
         {1: "remote_disconnect", 2: "remote_reconnect"}),
    71: ("Limiter", {1: "logical_name", 2: "monitored_value", 3: "threshold_active", 4: "threshold_normal",
                     5: "threshold_emergency", 6: "min_over_threshold_duration",
                     7: "min_under_threshold_duration", 8: "emergency_profile",
                     9: "emergency_profile_group_id_list", 10: "emergency_profile_active", 11: "actions"}, {}),
    111: (
        "Account",
        {1: "logical_name", 2: "account_mode_and_status", 3: "current_credit_in_use", 4: "current_credit_status",
         5: "available_credit", 6: "amount_to_clear", 7: "clearance_threshold", 8: "aggregated_debt",
         9: "credit_reference_list", 10: "charge_reference_list", 11: "credit_charge_configuration",
         12: "token_gateway_configuration", 13: "account_activation_time", 14: "account_closure_time",
         15: "currency", 16: "low_credit_threshold", 17: "next_credit_available_threshold",
         18: "max_provision", 19: "max_provision_period"},
        {1: "activate_account", 2: "close_account", 3: "reset_account"},
    ),
    112: (
        "Credit",
        {1: "logical_name", 2: "current_credit_amount", 3: "type", 4: "priority", 5: "warning_threshold",
         6: "limit", 7: "credit_configuration", 8: "status", 9: "preset_credit_amount",
         10: "credit_available_threshold", 11: "period"},
        {1: "update_amount", 2: "set_amount_to_value", 3: "invoke_credit"},
    ),
    113: (
        "Charge",
        {1: "logical_name", 2: "total_amount_paid", 3: "charge_type", 4: "priority", 5: "unit_charge_active",
         6: "unit_charge_passive", 7: "unit_charge_activation_time", 8: "period", 9: "charge_configuration",
         10: "last_collection_time", 11: "last_collection_amount", 12: "total_amount_remaining",
         13: "proportion"},
        {1: "update_unit_charge", 2: "activate_passive_unit_charge", 3: "collect", 4: "update_total_amount_remaining",
         5: "set_total_amount_remaining"},
    ),
    115: ("Token gateway", {1: "logical_name", 2: "token", 3: "token_time", 4: "token_description",
                            5: "token_delivery_method", 6: "token_status"}, {1: "enter"}),
}

# OBIS (A, B, C, D, E, F) -> name, for the objects GBCS use cases address.
OBIS_NAMES: dict[tuple[int, int, int, int, int, int], str] = {
    (0, 0, 1, 0, 0, 255): "Clock",
    (0, 0, 10, 0, 100, 255): "Tariff switching script table",
    (0, 0, 11, 0, 0, 255): "Special days table",
    (0, 0, 13, 0, 0, 255): "Activity calendar (tariff TOU)",
    (0, 0, 15, 0, 0, 255): "End of billing period single action schedule",
    (0, 0, 40, 0, 0, 255): "Current association",
    (0, 0, 43, 2, 8, 255): "Data protection (GBCS protected registers)",
    (0, 0, 44, 0, 0, 255): "Image transfer",
    (0, 0, 96, 1, 0, 255): "Device identifier (manufacturer serial number)",
    (0, 0, 96, 1, 1, 255): "MPAN / device ID 2",
    (0, 0, 96, 3, 10, 255): "Disconnect control (load switch)",
    (0, 0, 96, 12, 5, 255): "HAN signal strength",
    (0, 0, 96, 14, 0, 255): "Currently active tariff",
    (0, 0, 99, 98, 0, 255): "Event log",
    (0, 0, 99, 98, 1, 255): "Security log",
    (0, 0, 99, 98, 2, 255): "Power quality event log",
    (0, 0, 99, 98, 4, 255): "Power event log",
    (0, 0, 17, 0, 0, 255): "Load limiter",
    (0, 0, 19, 10, 0, 255): "Account",
    (0, 0, 19, 40, 0, 255): "Token gateway",
    (0, 0, 94, 44, 1, 255): "GBCS alert filter",
    (0, 0, 94, 44, 2, 255): "GBCS event behaviour",
    (1, 0, 1, 7, 0, 255): "Active power import (+P) instantaneous",
    (1, 0, 1, 8, 0, 255): "Active energy import (+A) total",
    (1, 0, 1, 8, 1, 255): "Active energy import (+A) rate 1",
    (1, 0, 1, 8, 2, 255): "Active energy import (+A) rate 2",
    (1, 0, 1, 8, 3, 255): "Active energy import (+A) rate 3",
    (1, 0, 1, 8, 4, 255): "Active energy import (+A) rate 4",
    (1, 0, 2, 7, 0, 255): "Active power export (-P) instantaneous",
    (1, 0, 2, 8, 0, 255): "Active energy export (-A) total",
    (1, 0, 3, 8, 0, 255): "Reactive energy import (+R) total",
    (1, 0, 4, 8, 0, 255): "Reactive energy export (-R) total",
    (1, 0, 1, 6, 0, 255): "Maximum demand active import",
    (1, 0, 2, 6, 0, 255): "Maximum demand active export",
    (1, 0, 32, 7, 0, 255): "Instantaneous voltage L1",
    (1, 0, 52, 7, 0, 255): "Instantaneous voltage L2",
    (1, 0, 72, 7, 0, 255): "Instantaneous voltage L3",
    (1, 0, 31, 7, 0, 255): "Instantaneous current L1",
    (1, 0, 12, 7, 0, 255): "Instantaneous voltage (any phase)",
    (1, 0, 99, 1, 0, 255): "Half-hour load profile (active import)",
    (1, 0, 99, 1, 1, 255): "Half-hour load profile (export)",
    (1, 0, 99, 1, 2, 255): "Half-hour load profile (reactive import)",
    (1, 0, 99, 2, 0, 255): "Daily read log",
    (0, 0, 98, 1, 0, 255): "Billing data log",
    (1, 0, 94, 44, 0, 255): "Voltage configuration",
}


def format_obis(raw: bytes) -> str:
    """``A-B:C.D.E.F`` (decimal) for 6 OBIS bytes."""
    return f"{raw[0]}-{raw[1]}:{raw[2]}.{raw[3]}.{raw[4]}.{raw[5]}"


def parse_obis(text: str) -> bytes:
    """The 6 bytes of an ``A-B:C.D.E.F`` OBIS code; raises ValueError on anything else."""
    try:
        ab, cdef = text.split(":")
        a, b = ab.split("-")
        values = [int(a), int(b), *(int(x) for x in cdef.split("."))]
    except ValueError:
        raise ValueError(f"OBIS code {text!r} is not of the form A-B:C.D.E.F") from None
    if len(values) != 6 or not all(0 <= v <= 255 for v in values):
        raise ValueError(f"OBIS code {text!r} needs six values 0..255")
    return bytes(values)


def describe_descriptor(kind: str, class_id: int, obis: bytes, member: int) -> dict[str, str]:
    """Name annotations for a COSEM attribute or method descriptor."""
    names: dict[str, str] = {}
    cls = CLASSES.get(class_id)
    if cls is not None:
        names["class_name"] = cls[0]
        table = cls[2] if kind == "action" else cls[1]
        if member in table:
            names["method_name" if kind == "action" else "attribute_name"] = table[member]
    obis_name = OBIS_NAMES.get(tuple(obis))  # type: ignore[arg-type]
    if obis_name is not None:
        names["obis_name"] = obis_name
    return names
