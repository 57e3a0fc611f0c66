"""Hardware-fault injection: a command whose execution hits a device fault part-way through.

A lab arms a fault on a device (:meth:`emulator.device.Device.arm_fault`); the next
command (of a given message code, or any) then executes as on a device whose hardware
fails at one of the command's requests:

* the requests before it execute normally;
* the faulted request does not take effect and is answered with the failure of its payload
  type: DLMS data-access-result / action-result 1 "hardware fault" with null data, ZCL status
  0xC0 HARDWARE_FAILURE (a Default Response, the use case's failure form of a specific
  response, or in a Read Attributes Response its first record), or the use case's failure
  code in an ASN.1 response (for ASN.1 use cases with a list, such as CS02b replacements or
  GCS59 entries, the item at the position fails and the others stand);
* the requests after it are not executed: DLMS result 250 "other reason" with null data, and
  for GBZ a Default Response for command 0xFF with status FAILURE, as devices answer the
  components they did not process;
* a GBZ component or ASN.1 command that fails on its own content (a bad UTRN, an unknown
  key usage ...) answers that failure: the fault only hits one that would otherwise succeed.
  A DLMS request at the position is not executed at all, so it answers the hardware fault
  whatever its content; an earlier request's own failure still stands.

Which request fails is the fault's ``position``: ``"first"``, ``"last"``, ``"penultimate"``
(the default: the request before the last, or the only one) or a 0-based index (clamped to
the last request).  ``smetsim replay`` arms the default fault for RTDS negative variants,
the command files whose name carries the ``ERROR`` token (:mod:`emulator.replay`).
"""

from __future__ import annotations

from dataclasses import dataclass

DLMS_HARDWARE_FAULT = 1
DLMS_OTHER_REASON = 250
ZCL_HARDWARE_FAILURE = 0xC0
ZCL_FAILURE = 0x01
ZCL_NOT_PROCESSED_COMMAND = 0xFF  # the command id of the Default Response to an unprocessed component
ASN1_FAILURE = 1
POSITIONS = ("first", "last", "penultimate")


class FaultError(ValueError):
    """A fault description that cannot be used."""


@dataclass(frozen=True, slots=True)
class HardwareFault:
    """A fault that makes one request of a command fail (see the module text)."""

    position: str | int = "penultimate"

    def __post_init__(self) -> None:
        if isinstance(self.position, bool) or not (
            self.position in POSITIONS or (isinstance(self.position, int) and self.position >= 0)
        ):
            raise FaultError(f"fault position {self.position!r}: expected one of {', '.join(POSITIONS)} "
                             "or a request index >= 0")

    def index(self, count: int) -> int:
        """The 0-based request that fails among ``count`` requests (``count`` >= 1)."""
        if count <= 1:
            return 0
        if self.position == "first":
            return 0
        if self.position == "last":
            return count - 1
        if self.position == "penultimate":
            return count - 2
        return min(int(self.position), count - 1)


def parse_fault(value: object) -> HardwareFault:
    """A fault from a scenario or profile value: a position string or index, or a table with ``position``."""
    if isinstance(value, HardwareFault):
        return value
    if isinstance(value, dict):
        unknown = set(value) - {"position"}
        if unknown:
            raise FaultError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        return HardwareFault(value.get("position", "penultimate"))  # type: ignore[arg-type]
    if isinstance(value, (str, int)):
        return HardwareFault(value)
    raise FaultError(f"a fault is a position or a table, not {type(value).__name__}")
