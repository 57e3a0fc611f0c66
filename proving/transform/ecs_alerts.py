"""ESME alert and event behaviours, SRV 6.22: ECS25a, ECS25a1-a3 (supplier), ECS25b, ECS25b3 (network operator).

The body lists configurable alert codes (``x810D`` ...) as Enable/Disable.  The command writes
attribute 2 of the party's behaviour object ``0-C:97.98.N.255`` (C = 30 supplier, 33 network
operator; N = 11 WAN alerts, 12 HAN, 13 audible alarm, 14 logging): a 512-bit string, a 256-bit
mask of the behaviours to change followed by 256 bits of new values; alert codes absent from
the body are left unchanged (mask bit clear).

Bit positions [I]: bit = the alert code minus the party's base, 0x8100 for the supplier's
codes (all 0x81xx in the DUIS 5.4 XSD) and 0x8000 for the network operator's (all 0x80xx),
counted from the last bit of each 256-bit half.  The GBCS table of bit positions is not in the
spec folder; this rule reproduces the masks and values of the RTDS 4.5.0 ECS25a1, ECS25a2,
ECS25b and ECS25b3 commands for the alert codes of the matching DUIS templates.
"""

from __future__ import annotations

from lxml import etree

from .dlms_helpers import bit_string, child, dlms, set_
from .registry import TransformContext, Transformed, TransformError, transform_for

BITS = 256
SUPPLIER, NETWORK_OPERATOR = 30, 33
# use case -> (body choice element, party, behaviour object index)
BEHAVIOURS: dict[str, tuple[str, int, int]] = {
    "ECS25a": ("ElectricitySupplierAlerts", SUPPLIER, 11),
    "ECS25a1": ("ElectricitySupplierHANAlertSettings", SUPPLIER, 12),
    "ECS25a2": ("ElectricitySupplierAlarmSettings", SUPPLIER, 13),
    "ECS25a3": ("ElectricitySupplierLoggingSettings", SUPPLIER, 14),
    "ECS25b": ("ElectricityNetworkOperatorAlerts", NETWORK_OPERATOR, 11),
    "ECS25b3": ("ElectricityNetworkOperatorLoggingSettings", NETWORK_OPERATOR, 14),
}
SETTINGS = {"Enable": 1, "Disable": 0}
CODE_BASE = {SUPPLIER: 0x8100, NETWORK_OPERATOR: 0x8000}  # the party's configurable alert codes start here


@transform_for(*BEHAVIOURS)
def configure_alert_behaviour(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Mask and values of the alert codes the body sets, written to the party's behaviour object."""
    uc = ctx.use_case
    choice, party, index = BEHAVIOURS[uc]
    settings = child(body, choice, uc)
    mask = values = 0
    for element in settings.iter():
        name = etree.QName(element).localname
        if not (len(name) == 5 and name.startswith("x")):
            continue
        try:
            code = int(name[1:], 16)
        except ValueError:
            raise TransformError(uc, f"{choice}/{name}: not an alert code") from None
        setting = (element.text or "").strip()
        if setting not in SETTINGS:
            raise TransformError(uc, f"{choice}/{name}: {setting!r} is not Enable or Disable")
        bit = code - CODE_BASE[party]
        if not 0 <= bit < BITS:
            raise TransformError(uc, f"{choice}/{name}: alert {code:04X} is not configurable by this party")
        mask |= 1 << bit
        values |= SETTINGS[setting] << bit
    if not mask:
        raise TransformError(uc, f"{choice}: no alert behaviour to set")
    obis = f"0-{party}:97.98.{index}.255"
    return dlms(ctx, [set_(1, obis, 2, bit_string(mask << BITS | values, 2 * BITS))])
