"""DCC actions the UI takes on the DCC thread: quarantined requests (G6), lab stimuli (alerts, clock)."""

from __future__ import annotations

from proving.anomaly import QuarantineRecord, UnknownQuarantineRef
from proving.embedded import EmbeddedDcc
from proving.frontend import Exchange


def quarantine_record(dcc: EmbeddedDcc, ref: int) -> QuarantineRecord:
    for record in dcc.anomaly.quarantined():
        if record.ref == ref:
            return record
    raise UnknownQuarantineRef(f"no quarantined request with QuarantineEventRef {ref}")


def release_quarantined(dcc: EmbeddedDcc, ref: int) -> Exchange:
    """Release a quarantined request and process it; the exchange holds its responses."""
    quarantine_record(dcc, ref)
    return dcc.frontend.release_quarantined(ref)


def delete_quarantined(dcc: EmbeddedDcc, ref: int) -> QuarantineRecord:
    """Delete a quarantined request (it is never processed)."""
    record = quarantine_record(dcc, ref)
    dcc.frontend.delete_quarantined(ref)
    return record


def stimuli_refusal(dcc: EmbeddedDcc) -> str | None:
    """Why lab stimuli (raised alerts, clock moves) are not available on these premises, or None."""
    if getattr(dcc.premises, "journal", None) is not None:
        return ("Lab stimuli are off for journaled premises (smetsim serve --state): the journal records "
                "device inputs only, so a restart could not replay an injected alert or clock move.")
    if not all(hasattr(entry.device, "raise_alert") for entry in dcc.premises.devices.values()):
        return "Lab stimuli need emulated devices; these premises have hardware behind them."
    return None


def raise_alerts(dcc: EmbeddedDcc, eui: bytes, code: int, count: int) -> int:
    """Make a device raise ``code`` ``count`` times; returns how many alerts it sent.

    The device logs each event and queues the alert; the queued alerts travel with the next
    exchange with the premises, through alert-storm throttling, to that request's originator.
    """
    refusal = stimuli_refusal(dcc)
    if refusal:
        raise ValueError(refusal)
    device = dcc.premises.devices[eui].device
    return sum(1 for _ in range(count) if device.raise_alert(code) is not None)


def advance_clock(dcc: EmbeddedDcc, seconds: float) -> float:
    """Move the premises' virtual clock forward (due timers run); returns the new time (POSIX seconds)."""
    refusal = stimuli_refusal(dcc)
    if refusal:
        raise ValueError(refusal)
    dcc.premises.clock.advance(seconds)
    return dcc.premises.clock.now()
