"""Partner devices named inside a request body, chosen from the premises the PP run talks to.

A template names other devices by EUI (the join partner of SRV 8.7.x/8.8.x, the device a
Comms Hub admits with 8.11): those EUIs belong to the template's premises, not to ours.
The PP Function, like any User, names devices of its own premises: :func:`partner_type`
says which kind of device a body element should name for the target's type, and the client
substitutes the premises device of that kind.
"""

from __future__ import annotations

# (body element, target device type) -> the type of device that element names
PARTNERS: dict[tuple[str, str], str] = {
    ("OtherDeviceID", "ESME"): "PPMID",  # CS03A1 / CS04AC: an ESME joins its PPMID (or HCALCS)
    ("OtherDeviceID", "PPMID"): "ESME",  # CS03A2: the PPMID responds to the ESME
    ("OtherDeviceID", "HCALCS"): "ESME",
    ("OtherDeviceID", "GSME"): "PPMID",  # CS03C: a PPMID joins the GSME
    ("OtherDeviceID", "GPF"): "PPMID",
    ("DeviceID", "CHF"): "PPMID",  # CCS01 / CCS02: the device the Comms Hub admits or removes
}
PARTNER_ELEMENTS = frozenset(element for element, _ in PARTNERS)


def partner_type(element: str, target_type: str | None) -> str | None:
    """The device type ``element`` should name in a request to a ``target_type`` device, or None."""
    if target_type is None:
        return None
    return PARTNERS.get((element, target_type))
