"""Cluster commands of the Price, Calendar, Events, Messaging and Device Management clusters.

Publish commands the head end sends (server-to-client: the meter is the client of
these clusters) are kept per (cluster, command), possibly future-dated by their start
time; Get commands answer with the kept publish or NOT_FOUND.  Handlers of the
prepayment and metering clusters live in :mod:`.gbz_prepayment` and :mod:`.gbz_metering`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..security import Incoming
from ..zigbee import ZigbeeDevice
from . import gbz_future
from .gbz_frame import NOT_FOUND, ZclResult, response_fc
from .gbz_handlers import C2S, HANDLERS, on

PRICE, CALENDAR, EVENTS, DEVICE_MANAGEMENT = 0x0700, 0x0707, 0x0709, 0x0708
GENERAL_LOG = 3
# fields naming when a publish takes effect, in order of preference
ACTIVATION_FIELDS = ("start_time", "implementation_date_time", "provider_change_implementation_time",
                     "implementation_time", "billing_period_start_time")
# Get command (client to server) -> the publish (server to client) that answers it (Get Current Price: gbz_price)
GET_ANSWERS = {
    (PRICE, 0x01): 0x00, (PRICE, 0x03): 0x01, (PRICE, 0x04): 0x02, (PRICE, 0x05): 0x03,
    (PRICE, 0x06): 0x04, (PRICE, 0x07): 0x05, (PRICE, 0x08): 0x06, (PRICE, 0x0A): 0x08, (PRICE, 0x0B): 0x09,
    (CALENDAR, 0x00): 0x00, (CALENDAR, 0x01): 0x01, (CALENDAR, 0x02): 0x02, (CALENDAR, 0x03): 0x03,
    (CALENDAR, 0x04): 0x04,
}
# device management publishes that set attributes: command -> ((field, attribute), ...)
DEVICE_MANAGEMENT_ATTRIBUTES = {
    0x01: (("proposed_provider_id", 0x0110), ("provider_change_implementation_time", 0x0112),
           ("provider_change_control", 0x0113)),
}


def activate(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any],
             apply: Callable[[], Any]) -> Any:
    """Run ``apply`` now, later (a future activation time) or not at all (a cancellation).

    Only use cases the catalogue marks future-dated are deferred (and alert when executed);
    for others the activation time is data the device keeps.
    """
    when = next((fields[name] for name in ACTIVATION_FIELDS if name in fields), None)
    row = incoming.use_case
    if when is None or row is None or not row.future_dated:  # the use case is not future-dated: act now
        return apply()
    if gbz_future.is_cancel(when):
        gbz_future.cancel(device, comp)
        return None
    if gbz_future.is_future(device, when):
        gbz_future.defer(device, incoming, comp, when, apply)
        return None
    return apply()


def keep_publish(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """Keep a publish the head end sent (activated at its start time)."""
    cluster, command = comp["cluster"], comp["zcl"]["command"]

    def apply() -> None:
        model = device.model_for(cluster)
        model.keep(cluster, command, _clean(fields))
        if cluster == DEVICE_MANAGEMENT:
            for name, attribute in DEVICE_MANAGEMENT_ATTRIBUTES.get(command, ()):
                if name in fields:
                    model.set(cluster, attribute, fields[name])

    return activate(device, incoming, comp, fields, apply)


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """The structural fields of a decoded layout (annotations dropped)."""
    return {k: v for k, v in fields.items() if not k.endswith(("_datetime", "_name", "_text", "_date"))}


def answer_get(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """A Get command: the kept publish it asks for, else NOT_FOUND."""
    cluster, zcl = comp["cluster"], comp["zcl"]
    publish = GET_ANSWERS[(cluster, zcl["command"])]
    kept = device.model_for(cluster).kept(cluster, publish)
    first = fields.get("start_day_id", fields.get("start_week_id"))
    if first is not None:
        key = "day_id" if "start_day_id" in fields else "week_id"
        kept = [entry for entry in kept if entry.get(key, 0) >= first]
        count = fields.get("number_of_days", fields.get("number_of_weeks", 0))
        if count:
            kept = kept[:count]
    if not kept:
        return NOT_FOUND
    fc = response_fc(zcl["frame_control"], True, no_default=cluster != PRICE)
    return [ZclResult(publish, fc, fields=dict(entry)) for entry in kept]


for _cluster, _command in GET_ANSWERS:
    HANDLERS[(_cluster, C2S, _command)] = answer_get


@on(EVENTS, C2S, 0x01)
def clear_event_log(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """CS11: clear the general event log (log id 0 "all" or 3); the security log cannot be cleared remotely."""
    log_id = fields.get("log_id", 0)
    cleared = 0
    if log_id in (0, GENERAL_LOG):
        device.event_log.clear()
        cleared = 1 << GENERAL_LOG
    return ZclResult(0x02, response_fc(comp["zcl"]["frame_control"], True, no_default=False),
                     fields={"cleared_event_logs": cleared}, failed=not cleared)
