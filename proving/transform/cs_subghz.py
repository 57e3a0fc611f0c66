"""DBCH01-05: the dual-band CHF's Sub-GHz configuration, channel and channel log (DLMS, sent by the ACB).

The Sub-GHz channel masks are 32-bit ZigBee channel-page masks: the page (28 lower band
channels 0-26, 29 lower band 27-34, 30 lower band 35-61, 31 upper band 0-26) in the top
five bits, one bit per channel (the page's first channel in bit 0) below.  Percentages and
duty-cycle thresholds travel in hundredths.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from gbcs.dlms.cosem import parse_obis

from .cs_helpers import dlms, log_period, node, supplementary_remote_party
from .registry import TransformContext, Transformed, TransformError, transform_for
from .xml_values import element, text

CONFIGURATION, SCAN_REQUEST, CHANNEL = "0-0:94.44.10.0", "0-0:94.44.10.1", "0-0:94.44.10.2"
CHANNEL_LOG = "0-0:94.44.10.3"
DATA, PROFILE_GENERIC, VALUE, BUFFER = 1, 7, 2, 2
RANGE_SELECTOR = 1
# the channel log's capture time (restricting object of a range read): class 1, its value, data index 0
LOG_TIME_OBJECT = (1, "0-0:94.44.100.255", 2, 0)
SCAN_NOW = 0  # Sub-GHz channel scan request value that asks for a scan
# band element -> (channel page, first channel, last channel)
BANDS = (("LowerBandSubGHzChannels0To26", 28, 0, 26), ("LowerBandSubGHzChannels27To34", 29, 27, 34),
         ("LowerBandSubGHzChannels35To61", 30, 35, 61), ("UpperBandSubGHzChannels0To26", 31, 0, 26))
# configuration member -> (A-XDR type, scale, minimum, maximum) in structure order (DUIS XSD bounds)
PARAMETERS = (
    ("NormalLimitedDutyCycleThreshold", "long-unsigned", 100, Decimal("0.5"), Decimal("2.0")),
    ("LimitedCriticalDutyCycleThreshold", "long-unsigned", 100, Decimal("1.6"), Decimal("2.4")),
    ("MaximumSubGHzChannelChangesPerWeek", "unsigned", 1, 1, 7),
    ("GSMECurfew", "long-unsigned", 1, 2, 0xFFFF),
    ("ChannelQuieterThreshold", "unsigned", 1, 1, 255),
    ("ChannelNoisierThreshold", "unsigned", 1, 0, 20),
    ("NonGSMEPoorCommsPercentageThreshold", "long-unsigned", 100, 1, 100),
    ("NonGSMEPoorCommsMeasurementPeriods", "unsigned", 1, 50, 150),
    ("LocalCHNoiseMeasurementPeriod", "long-unsigned", 1, 61, 0xFFFF),
    ("LocalCHFailurePercentage", "long-unsigned", 100, 1, 100),
    ("LocalCHRetryPercentage", "long-unsigned", 100, 1, 100),
)


def _sent(ctx: TransformContext, instructions: list[tuple[Any, ...]]) -> Transformed:
    return dlms(ctx, instructions, other_information=supplementary_remote_party(ctx))


def _channel_mask(body: etree._Element, path: str, page: int, first: int, last: int, use_case: str) -> dict:
    """The 32-bit channel-page mask of the Channel<n> elements present in ``path``."""
    mask = page << 27
    for item in element(body, path, use_case):
        if not isinstance(item.tag, str):  # a comment
            continue
        name = etree.QName(item).localname
        number = int(name[7:]) if name.startswith("Channel") and name[7:].isdigit() else -1
        if not first <= number <= last:
            raise TransformError(use_case, f"{path}/{name}: not a channel of this band")
        mask |= 1 << (number - first)
    return node("bit-string", f"{mask:08X}", bits=32)


def _parameter(body: etree._Element, name: str, kind: str, scale: int, low: Any, high: Any, use_case: str) -> dict:
    raw = text(body, name, use_case)
    try:
        value = Decimal(raw or "")
    except InvalidOperation:
        raise TransformError(use_case, f"{name}: {raw!r} is not a number") from None
    scaled = value * scale
    if not low <= value <= high or scaled != scaled.to_integral_value():
        raise TransformError(use_case, f"{name}: {raw} is outside {low}..{high} or too precise")
    return node(kind, int(scaled))


@transform_for("DBCH01")
def read_channel(body: etree._Element, ctx: TransformContext) -> Transformed:
    """DBCH01: read the Sub-GHz channel in use."""
    return _sent(ctx, [("get", DATA, CHANNEL, VALUE, node("null"))])


@transform_for("DBCH02")
def read_channel_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """DBCH02: the channel log entries captured in the request's period (a range read)."""
    start, end = log_period(body, "ReadLogPeriod", ctx.use_case)
    class_id, obis, attribute, index = LOG_TIME_OBJECT
    restricting = node("structure", [node("long-unsigned", class_id),
                                     node("octet-string", parse_obis(obis).hex().upper()),
                                     node("integer", attribute), node("long-unsigned", index)])
    parameters = node("structure", [restricting, node("double-long-unsigned", start),
                                    node("double-long-unsigned", end), node("array", [])])
    return _sent(ctx, [("get-with-selection", PROFILE_GENERIC, CHANNEL_LOG, BUFFER, node("null"), RANGE_SELECTOR,
                        parameters)])


@transform_for("DBCH03")
def read_configuration(body: etree._Element, ctx: TransformContext) -> Transformed:
    """DBCH03: read the Sub-GHz configuration."""
    return _sent(ctx, [("get", DATA, CONFIGURATION, VALUE, node("null"))])


@transform_for("DBCH04")
def set_configuration(body: etree._Element, ctx: TransformContext) -> Transformed:
    """DBCH04: write the Sub-GHz configuration (four channel masks, then the thresholds)."""
    members = [_channel_mask(body, name, page, first, last, ctx.use_case) for name, page, first, last in BANDS]
    members += [_parameter(body, *spec, ctx.use_case) for spec in PARAMETERS]
    return _sent(ctx, [("set", DATA, CONFIGURATION, VALUE, node("structure", members))])


@transform_for("DBCH05")
def request_channel_scan(body: etree._Element, ctx: TransformContext) -> Transformed:
    """DBCH05: ask the CHF to scan the Sub-GHz channels."""
    return _sent(ctx, [("set", DATA, SCAN_REQUEST, VALUE, node("unsigned", SCAN_NOW))])
