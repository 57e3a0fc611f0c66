"""GCS28 set the GSME clock (gbcs spec §3.3, requirements §9 item 64, IRP511).

The command gives a validity interval.  The GSME takes the time from the HAN (the virtual
clock, the Communications Hub's time): when that time lies inside the interval the device
clock is set to it (response code 0; event 0x8145 "clock adjusted", log only), otherwise the
clock is left alone and the response code is 2 [I], with alert 0x8F0C when the device clock is
more than 10 seconds away from the HAN time and 0x81C6 ("outside tolerance") when it is not.
The response carries the device time after the command.
"""

from __future__ import annotations

from ..device import Device, Reply
from ..registry import handles
from ..security import Incoming
from .asn1_common import command_value, generalized_time, named, parse_generalized_time, reply

CLOCK_ADJUSTED, CLOCK_OUTSIDE_TOLERANCE, CLOCK_NOT_ADJUSTED_10S = 0x8145, 0x81C6, 0x8F0C
OUTSIDE_INTERVAL = 2
TOLERANCE = 10.0


@handles(kinds=("GSME", "GPF"), codes=(0x007F,))
def set_clock(device: Device, incoming: Incoming) -> Reply | None:
    """GCS28: adjust the clock to the HAN time inside the validity interval."""
    command = command_value(device, incoming, "SetClockCommand")
    if command is None:
        return None
    start = parse_generalized_time(command["validityIntervalStart"])
    end = parse_generalized_time(command["validityIntervalEnd"])
    han_time = device.clock.now()
    if start is not None and end is not None and start <= han_time <= end:
        device.set_time(han_time)
        device.raise_alert(CLOCK_ADJUSTED)
        code = 0
    else:
        off = abs(device.now() - han_time)
        device.raise_alert(CLOCK_NOT_ADJUSTED_10S if off > TOLERANCE else CLOCK_OUTSIDE_TOLERANCE)
        code = OUTSIDE_INTERVAL
    return reply("SetClockResponse", {"deviceTime": generalized_time(device.now()), "responseCode": named(code)})
