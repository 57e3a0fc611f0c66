"""UTRN checking at a meter (gbcs spec §2.9), shared by the ESME (CS01a) and the GSME (CS01b, PCS01).

A UTRN is checked in this order: its form (20 digits, check digit, value class 0 or 1),
its MAC with the supplier's prepayment key and this device's KA key (when the device
knows the supplier's prepayment key; otherwise the check digit is all it can check), then
that it was not accepted before and its counter is not below the last one accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from gbcs.crypto import KeyUnavailable, decode_utrn, utrn_for

if TYPE_CHECKING:
    from .device import Device

PENCE_PER_POUND = 100
CREDIT_SCALE = 100_000  # credit registers count 1/100000 of the currency unit (pence * 1000)


class UtrnOutcome(Enum):
    """What a meter makes of a UTRN."""

    ACCEPTED = "accepted"
    MALFORMED = "malformed"
    NOT_FOR_DEVICE = "not for this device"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class UtrnCheck:
    """The outcome, the UTRN's counter and its value in credit units (0 unless accepted)."""

    outcome: UtrnOutcome
    counter: int = 0
    amount: int = 0


@dataclass(slots=True)
class UtrnLedger:
    """The UTRNs a meter has accepted and the highest counter among them."""

    accepted: set[str] = field(default_factory=set)
    last_counter: int = 0

    def check(self, device: Device, code: str) -> UtrnCheck:
        """Check ``code`` at ``device`` without recording it (see :meth:`accept`)."""
        try:
            high_counter, value_class, value, _ = decode_utrn(code)
        except ValueError:
            return UtrnCheck(UtrnOutcome.MALFORMED)
        if value_class > 1:
            return UtrnCheck(UtrnOutcome.MALFORMED)
        counter = high_counter << 32
        supplier = device.security.anchors.supplier
        if supplier is not None:
            try:
                expected = utrn_for(device.security.view, supplier, device.eui, counter, value, value_class)
            except KeyUnavailable:
                expected = code  # no prepayment key for the supplier: the check digit is all we can check
            if expected != code:
                return UtrnCheck(UtrnOutcome.NOT_FOR_DEVICE, counter)
        if code in self.accepted or counter < self.last_counter:
            return UtrnCheck(UtrnOutcome.DUPLICATE, counter)
        amount = value * (PENCE_PER_POUND if value_class == 1 else 1) * (CREDIT_SCALE // PENCE_PER_POUND)
        return UtrnCheck(UtrnOutcome.ACCEPTED, counter, amount)

    def accept(self, code: str, counter: int) -> None:
        """Record an accepted UTRN, so it cannot be used again."""
        self.accepted.add(code)
        self.last_counter = max(self.last_counter, counter)
