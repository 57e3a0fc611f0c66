"""Cluster-specific ZCL command layouts of ZigBee Smart Energy 1.4 as carried in GBCS.

Keyed by ``(cluster, direction, command id)``; direction 0 is client to server and 1
server to client (frame-control bit 3).  Only layouts that are fixed by the ZSE
specification are listed; any payload that does not fit its layout exactly is kept as
hex by the caller, so a wrong or incomplete layout can never break the round trip.
"""

from __future__ import annotations

from .zcl_layouts import (
    B8,
    B16,
    B24,
    B32,
    BLOCK_THRESHOLDS,
    CSTR,
    DATE,
    E8,
    EVENT_CONFIGURATION,
    I32,
    OPT,
    OSTR,
    STATUS8,
    U8,
    U16,
    U24,
    U32,
    UTC,
    Layout,
    layout,
)

C2S, S2C = 0, 1
BASIC, PRICE, METERING, MESSAGING, TUNNELING = 0x0000, 0x0700, 0x0702, 0x0703, 0x0704
PREPAYMENT, CALENDAR, DEVICE_MANAGEMENT, EVENTS = 0x0705, 0x0707, 0x0708, 0x0709

_PROVIDER = ("provider_id", U32)
_EVENT = ("issuer_event_id", U32)
_TARIFF = ("issuer_tariff_id", U32)
_CALENDAR_ID = ("issuer_calendar_id", U32)
_INDEX = ("command_index", U8)
_TOTAL = ("total_number_of_commands", U8)
_EMPTY = layout()

_GET_BY_TIME = layout(("earliest_start_time", UTC), ("min_issuer_event_id", U32), ("number_of_commands", U8))
_GET_BY_TIME_TARIFF = layout(("earliest_start_time", UTC), ("min_issuer_event_id", U32),
                             ("number_of_commands", U8), OPT, ("tariff_type", B8))
_TARIFF_ID_ONLY = layout(_TARIFF)
_MESSAGE = layout(("message_id", U32), ("message_control", B8), ("start_time", UTC),
                  ("duration_in_minutes", U16), ("message", CSTR), OPT, ("extended_message_control", B8))
_SNAPSHOT_QUERY = layout(("earliest_start_time", UTC), ("latest_end_time", UTC), ("snapshot_offset", U8),
                         ("snapshot_cause", B32))

PROFILE_LAYOUTS: dict[int, Layout] = {
    0x0B: layout(("command", U8), ("status", STATUS8)),
    0x0C: layout(("start_attribute", U16), ("max_attributes", U8)),
    0x0D: layout(("discovery_complete", U8), entries=("attributes", layout(("attribute", U16), ("type", U8)))),
}

LAYOUTS: dict[tuple[int, int, int], Layout] = {
    # Basic
    (BASIC, C2S, 0x00): _EMPTY,
    # Price, client to server
    (PRICE, C2S, 0x00): layout(("command_options", B8)),
    (PRICE, C2S, 0x01): layout(("start_time", UTC), ("number_of_events", U8)),
    (PRICE, C2S, 0x02): layout(_PROVIDER, _EVENT, ("price_ack_time", UTC), ("control", B8)),
    (PRICE, C2S, 0x03): layout(("start_time", UTC), ("number_of_events", U8), OPT, ("tariff_type", B8)),
    (PRICE, C2S, 0x04): _GET_BY_TIME,
    (PRICE, C2S, 0x05): _GET_BY_TIME,
    (PRICE, C2S, 0x06): _GET_BY_TIME_TARIFF,
    (PRICE, C2S, 0x07): _TARIFF_ID_ONLY,
    (PRICE, C2S, 0x08): _TARIFF_ID_ONLY,
    (PRICE, C2S, 0x09): _GET_BY_TIME_TARIFF,
    (PRICE, C2S, 0x0A): _TARIFF_ID_ONLY,
    (PRICE, C2S, 0x0B): _GET_BY_TIME_TARIFF,
    (PRICE, C2S, 0x0C): _GET_BY_TIME_TARIFF,
    (PRICE, C2S, 0x0D): layout(_EVENT, ("cpp_auth", E8)),
    (PRICE, C2S, 0x0E): layout(("latest_end_time", UTC), ("number_of_records", U8)),
    (PRICE, C2S, 0x0F): _EMPTY,
    (PRICE, C2S, 0x10): _EMPTY,
    # Price, server to client
    (PRICE, S2C, 0x00): layout(
        _PROVIDER, ("rate_label", OSTR), _EVENT, ("current_time", UTC), ("unit_of_measure", E8),
        ("currency", U16), ("price_trailing_digit_and_price_tier", B8),
        ("number_of_price_tiers_and_register_tier", B8), ("start_time", UTC), ("duration_in_minutes", U16),
        ("price", U32), OPT, ("price_ratio", U8), ("generation_price", U32), ("generation_price_ratio", U8),
        ("alternate_cost_delivered", U32), ("alternate_cost_unit", E8), ("alternate_cost_trailing_digit", B8),
        ("number_of_block_thresholds", U8), ("price_control", B8), ("number_of_generation_tiers", U8),
        ("generation_tier", E8), ("extended_number_of_price_tiers", U8), ("extended_price_tier", U8),
        ("extended_register_tier", U8)),
    (PRICE, S2C, 0x01): layout(
        _PROVIDER, _EVENT, ("block_period_start_time", UTC), ("block_period_duration", U24),
        ("block_period_control", B8), ("block_period_duration_type", B8), OPT, ("tariff_type", B8),
        ("tariff_resolution_period", E8)),
    (PRICE, S2C, 0x02): layout(_EVENT, ("start_time", UTC), ("conversion_factor", U32),
                               ("conversion_factor_trailing_digit", B8)),
    (PRICE, S2C, 0x03): layout(_EVENT, ("start_time", UTC), ("calorific_value", U32),
                               ("calorific_value_unit", E8), ("calorific_value_trailing_digit", B8)),
    (PRICE, S2C, 0x04): layout(
        _PROVIDER, _EVENT, _TARIFF, ("start_time", UTC), ("tariff_type", B8), ("tariff_label", OSTR),
        ("number_of_price_tiers_in_use", U8), ("number_of_block_thresholds_in_use", U8),
        ("unit_of_measure", E8), ("currency", U16), ("price_trailing_digit", B8), ("standing_charge", U32),
        ("tier_block_mode", E8), ("block_threshold_multiplier", U24), ("block_threshold_divisor", U24)),
    (PRICE, S2C, 0x05): layout(
        _PROVIDER, _EVENT, ("start_time", UTC), _TARIFF, _INDEX, _TOTAL, ("sub_payload_control", B8),
        entries=("prices", layout(("tier_block_id", U8), ("price", U32)))),
    (PRICE, S2C, 0x06): layout(
        _PROVIDER, _EVENT, ("start_time", UTC), _TARIFF, _INDEX, _TOTAL, ("sub_payload_control", B8),
        custom=("block_thresholds", BLOCK_THRESHOLDS)),
    (PRICE, S2C, 0x07): layout(_PROVIDER, _EVENT, ("start_time", UTC), ("tariff_type", E8), ("co2_value", U32),
                               ("co2_unit", E8), ("co2_value_trailing_digit", B8)),
    (PRICE, S2C, 0x08): layout(_PROVIDER, _EVENT, _TARIFF, _INDEX, _TOTAL, ("number_of_labels", U8),
                               entries=("labels", layout(("tier_id", U8), ("tier_label", OSTR)))),
    (PRICE, S2C, 0x09): layout(_PROVIDER, _EVENT, ("billing_period_start_time", UTC),
                               ("billing_period_duration", U24), ("billing_period_duration_type", B8),
                               ("tariff_type", B8)),
    (PRICE, S2C, 0x0A): layout(_PROVIDER, _EVENT, ("billing_period_start_time", UTC),
                               ("billing_period_duration", U24), ("billing_period_duration_type", B8),
                               ("tariff_type", B8), ("consolidated_bill", U32), ("currency", U16),
                               ("bill_trailing_digit", B8)),
    (PRICE, S2C, 0x0B): layout(_PROVIDER, _EVENT, ("start_time", UTC), ("duration_in_minutes", U16),
                               ("tariff_type", B8), ("cpp_price_tier", U8), ("cpp_auth", E8)),
    (PRICE, S2C, 0x0C): layout(_PROVIDER, _EVENT, ("credit_payment_due_date", UTC),
                               ("credit_payment_overdue_amount", U32), ("credit_payment_status", E8),
                               ("credit_payment", U32), ("credit_payment_date", UTC),
                               ("credit_payment_ref", OSTR)),
    (PRICE, S2C, 0x0D): layout(_PROVIDER, _EVENT, ("start_time", UTC), ("old_currency", U16),
                               ("new_currency", U16), ("conversion_factor", U32),
                               ("conversion_factor_trailing_digit", B8), ("currency_change_control_flags", B32)),
    (PRICE, S2C, 0x0E): layout(_PROVIDER, _TARIFF, ("tariff_type", B8)),
    # Metering, client to server
    (METERING, C2S, 0x00): layout(("interval_channel", E8), ("end_time", UTC), ("number_of_periods", U8)),
    (METERING, C2S, 0x03): layout(("fast_poll_update_period", U8), ("duration_in_minutes", U8)),
    (METERING, C2S, 0x04): layout(_EVENT, _INDEX, _TOTAL, entries=("schedules", layout(
        ("snapshot_schedule_id", U8), ("snapshot_start_time", UTC), ("snapshot_schedule", B24),
        ("snapshot_payload_type", E8), ("snapshot_cause", B32)))),
    (METERING, C2S, 0x05): layout(("snapshot_cause", B32)),
    (METERING, C2S, 0x06): _SNAPSHOT_QUERY,
    (METERING, C2S, 0x07): layout(_EVENT, ("start_sampling_time", UTC), ("sample_type", E8),
                                  ("sample_request_interval", U16), ("max_number_of_samples", U16)),
    (METERING, C2S, 0x08): layout(("sample_id", U16), ("earliest_sample_time", UTC), ("sample_type", E8),
                                  ("number_of_samples", U16)),
    (METERING, C2S, 0x0A): layout(_PROVIDER, _EVENT),
    (METERING, C2S, 0x0B): layout(_PROVIDER, _EVENT, ("request_date_time", UTC),
                                  ("implementation_date_time", UTC), ("proposed_supply_status", E8),
                                  ("supply_control_bits", B8)),
    (METERING, C2S, 0x0C): layout(("proposed_supply_status", E8)),
    (METERING, C2S, 0x0D): layout(_EVENT, ("supply_tamper_state", E8), ("supply_depletion_state", E8),
                                  ("supply_uncontrolled_flow_state", E8), ("load_limit_supply_state", E8)),
    (METERING, C2S, 0x0E): layout(_PROVIDER, _EVENT, ("uncontrolled_flow_threshold", U16),
                                  ("unit_of_measure", E8), ("multiplier", U16), ("divisor", U16),
                                  ("stabilisation_period", U8), ("measurement_period", U16)),
    # Metering, server to client
    (METERING, S2C, 0x00): layout(("end_time", UTC), ("status", E8), ("profile_interval_period", E8),
                                  ("number_of_periods_delivered", U8), ints=("intervals", 3)),
    (METERING, S2C, 0x03): layout(("applied_update_period", U8), ("fast_poll_mode_end_time", UTC)),
    (METERING, S2C, 0x04): layout(_EVENT, entries=("schedules", layout(
        ("snapshot_schedule_id", U8), ("snapshot_schedule_confirmation", E8)))),
    (METERING, S2C, 0x05): layout(("snapshot_id", U32), ("snapshot_confirmation", E8)),
    (METERING, S2C, 0x06): layout(("snapshot_id", U32), ("snapshot_capture_time", UTC),
                                  ("total_snapshots_found", U8), _INDEX, _TOTAL, ("snapshot_cause", B32),
                                  ("snapshot_payload_type", E8), hex_tail="snapshot_payload"),
    (METERING, S2C, 0x07): layout(("sample_id", U16), ("sample_start_time", UTC), ("sample_type", E8),
                                  ("sample_request_interval", U16), ("number_of_samples", U16),
                                  ints=("samples", 3)),
    (METERING, S2C, 0x0C): layout(_PROVIDER, _EVENT, ("implementation_date_time", UTC), ("supply_status", E8)),
    (METERING, S2C, 0x0D): layout(("sample_id", U16)),
    # Messaging
    (MESSAGING, C2S, 0x00): _EMPTY,
    (MESSAGING, C2S, 0x01): layout(("message_id", U32), ("confirmation_time", UTC), OPT,
                                   ("message_confirmation_control", B8), ("message_confirmation_response", OSTR)),
    (MESSAGING, C2S, 0x02): layout(("earliest_implementation_time", UTC)),
    (MESSAGING, S2C, 0x00): _MESSAGE,
    (MESSAGING, S2C, 0x01): layout(("message_id", U32), ("message_control", B8)),
    (MESSAGING, S2C, 0x02): _MESSAGE,
    (MESSAGING, S2C, 0x03): layout(("implementation_date_time", UTC)),
    # Tunneling
    (TUNNELING, C2S, 0x00): layout(("protocol_id", E8), ("manufacturer_code", U16), ("flow_control_support", U8),
                                   ("maximum_incoming_transfer_size", U16)),
    (TUNNELING, C2S, 0x01): layout(("tunnel_id", U16)),
    (TUNNELING, C2S, 0x02): layout(("tunnel_id", U16), hex_tail="data"),
    (TUNNELING, S2C, 0x00): layout(("tunnel_id", U16), ("tunnel_status", U8),
                                   ("maximum_incoming_transfer_size", U16)),
    (TUNNELING, S2C, 0x01): layout(("tunnel_id", U16), hex_tail="data"),
    # Prepayment, client to server
    (PREPAYMENT, C2S, 0x00): layout(("command_issue_date_time", UTC), ("originating_device", E8)),
    (PREPAYMENT, C2S, 0x02): layout(
        _EVENT, ("debt_label", OSTR), ("debt_amount", I32), ("debt_recovery_method", E8),
        ("debt_amount_type", E8), ("debt_recovery_start_time", UTC), ("debt_recovery_collection_time", U16),
        ("debt_recovery_frequency", E8), ("debt_recovery_amount", I32),
        ("debt_recovery_balance_percentage", U16)),
    (PREPAYMENT, C2S, 0x03): layout(_EVENT, ("start_time", UTC), ("emergency_credit_limit", U32),
                                    ("emergency_credit_threshold", U32)),
    (PREPAYMENT, C2S, 0x04): layout(("originating_device", E8), ("top_up_code", OSTR)),
    (PREPAYMENT, C2S, 0x05): layout(_EVENT, ("start_time", UTC), ("credit_adjustment_type", E8),
                                    ("credit_adjustment_value", I32)),
    (PREPAYMENT, C2S, 0x06): layout(_PROVIDER, _EVENT, ("implementation_date_time", UTC),
                                    ("proposed_payment_control_configuration", B16), ("cut_off_value", I32)),
    (PREPAYMENT, C2S, 0x07): _SNAPSHOT_QUERY,
    (PREPAYMENT, C2S, 0x08): layout(("latest_end_time", UTC), ("number_of_records", U8)),
    (PREPAYMENT, C2S, 0x09): layout(("low_credit_warning_level", U32)),
    (PREPAYMENT, C2S, 0x0A): layout(("latest_end_time", UTC), ("number_of_debts", U8), ("debt_type", E8)),
    (PREPAYMENT, C2S, 0x0B): layout(_PROVIDER, _EVENT, ("implementation_date_time", UTC),
                                    ("maximum_credit_level", U32), ("maximum_credit_per_top_up", U32)),
    (PREPAYMENT, C2S, 0x0C): layout(_PROVIDER, _EVENT, ("implementation_date_time", UTC),
                                    ("overall_debt_cap", I32)),
    # Prepayment, server to client
    (PREPAYMENT, S2C, 0x01): layout(("snapshot_id", U32), ("snapshot_time", UTC), ("total_snapshots_found", U8),
                                    _INDEX, _TOTAL, ("snapshot_cause", B32), ("snapshot_payload_type", E8),
                                    hex_tail="snapshot_payload"),
    (PREPAYMENT, S2C, 0x02): layout(("friendly_credit", B8), ("friendly_credit_calendar_id", U32),
                                    ("emergency_credit_limit", U32), ("emergency_credit_threshold", U32)),
    (PREPAYMENT, S2C, 0x03): layout(("result_type", E8), ("top_up_value", I32), ("source_of_top_up", E8),
                                    ("credit_remaining", I32)),
    (PREPAYMENT, S2C, 0x05): layout(_INDEX, _TOTAL, entries=("top_ups", layout(
        ("top_up_code", OSTR), ("top_up_amount", I32), ("top_up_time", UTC)))),
    (PREPAYMENT, S2C, 0x06): layout(_INDEX, _TOTAL, entries=("debts", layout(
        ("collection_time", UTC), ("amount_collected", U32), ("debt_type", E8), ("outstanding_debt", U32)))),
    # Calendar
    (CALENDAR, C2S, 0x00): layout(("earliest_start_time", UTC), ("min_issuer_event_id", U32),
                                  ("number_of_calendars", U8), ("calendar_type", E8), _PROVIDER),
    (CALENDAR, C2S, 0x01): layout(_PROVIDER, _CALENDAR_ID, ("start_day_id", U8), ("number_of_days", U8)),
    (CALENDAR, C2S, 0x02): layout(_PROVIDER, _CALENDAR_ID, ("start_week_id", U8), ("number_of_weeks", U8)),
    (CALENDAR, C2S, 0x03): layout(_PROVIDER, _CALENDAR_ID),
    (CALENDAR, C2S, 0x04): layout(("start_time", UTC), ("number_of_events", U8), ("calendar_type", E8),
                                  _PROVIDER, _CALENDAR_ID),
    (CALENDAR, C2S, 0x05): _EMPTY,
    (CALENDAR, S2C, 0x00): layout(_PROVIDER, _EVENT, _CALENDAR_ID, ("start_time", UTC), ("calendar_type", E8),
                                  ("calendar_time_reference", E8), ("calendar_name", OSTR),
                                  ("number_of_seasons", U8), ("number_of_week_profiles", U8),
                                  ("number_of_day_profiles", U8)),
    (CALENDAR, S2C, 0x01): layout(_PROVIDER, _EVENT, _CALENDAR_ID, ("day_id", U8),
                                  ("total_number_of_schedule_entries", U8), _INDEX, _TOTAL, ("calendar_type", E8),
                                  entries=("schedule_entries", layout(("start_time", U16), ("tier_or_state", U8)))),
    (CALENDAR, S2C, 0x02): layout(_PROVIDER, _EVENT, _CALENDAR_ID, ("week_id", U8),
                                  *((f"day_id_ref_{d}", U8) for d in
                                    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))),
    (CALENDAR, S2C, 0x03): layout(_PROVIDER, _EVENT, _CALENDAR_ID, _INDEX, _TOTAL,
                                  entries=("seasons", layout(("season_start_date", DATE), ("week_id_ref", U8)))),
    (CALENDAR, S2C, 0x04): layout(_PROVIDER, _EVENT, _CALENDAR_ID, ("start_time", UTC), ("calendar_type", E8),
                                  ("total_number_of_special_days", U8), _INDEX, _TOTAL,
                                  entries=("special_days", layout(("special_day_date", DATE), ("day_id_ref", U8)))),
    (CALENDAR, S2C, 0x05): layout(_PROVIDER, _CALENDAR_ID, ("calendar_type", E8)),
    # Device Management
    (DEVICE_MANAGEMENT, C2S, 0x00): _EMPTY,
    (DEVICE_MANAGEMENT, C2S, 0x01): _EMPTY,
    (DEVICE_MANAGEMENT, C2S, 0x02): layout(("password_type", E8)),
    (DEVICE_MANAGEMENT, C2S, 0x03): _EMPTY,
    (DEVICE_MANAGEMENT, C2S, 0x04): layout(_INDEX, _TOTAL, entries=("events", layout(
        ("event_id", U16), ("event_configuration", B8)))),
    (DEVICE_MANAGEMENT, C2S, 0x05): _EMPTY,
    (DEVICE_MANAGEMENT, S2C, 0x00): layout(_PROVIDER, _EVENT, ("tariff_type", B8),
                                           ("implementation_date_time", UTC),
                                           ("proposed_tenancy_change_control", B32)),
    (DEVICE_MANAGEMENT, S2C, 0x01): layout(("current_provider_id", U32), _EVENT, ("tariff_type", B8),
                                           ("proposed_provider_id", U32),
                                           ("provider_change_implementation_time", UTC),
                                           ("provider_change_control", B32), ("proposed_provider_name", OSTR),
                                           ("proposed_provider_contact_details", OSTR)),
    (DEVICE_MANAGEMENT, S2C, 0x02): layout(_EVENT, ("implementation_date_time", UTC),
                                           ("duration_in_minutes", U16), ("password_type", E8),
                                           ("password", OSTR)),
    (DEVICE_MANAGEMENT, S2C, 0x03): layout(_EVENT, ("site_id_time", UTC), _PROVIDER, ("site_id", OSTR)),
    (DEVICE_MANAGEMENT, S2C, 0x04): layout(_EVENT, ("start_date_time", UTC), ("event_configuration", B8),
                                           ("configuration_control", E8),
                                           custom=("configuration_payload", EVENT_CONFIGURATION)),
    (DEVICE_MANAGEMENT, S2C, 0x05): layout(("event_id", U16)),
    (DEVICE_MANAGEMENT, S2C, 0x06): layout(_EVENT, ("implementation_time", UTC), _PROVIDER,
                                           ("customer_id_number", OSTR)),
    # Events
    (EVENTS, C2S, 0x00): layout(("event_control_log_id", B8), ("event_id", U16), ("start_time", UTC),
                                ("end_time", UTC), ("number_of_events", U8), ("event_offset", U16)),
    (EVENTS, C2S, 0x01): layout(("log_id", B8)),
    (EVENTS, S2C, 0x00): layout(("log_id", E8), ("event_id", U16), ("event_time", UTC), ("event_control", B8),
                                ("event_data", OSTR)),
    (EVENTS, S2C, 0x01): layout(("total_number_of_matching_events", U16), _INDEX, _TOTAL,
                                ("log_payload_control", B8), entries=("events", layout(
                                    ("log_id", E8), ("event_id", U16), ("event_time", UTC),
                                    ("event_data", OSTR)))),
    (EVENTS, S2C, 0x02): layout(("cleared_event_logs", B8)),
}
