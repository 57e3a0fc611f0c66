"""DCC actions the UI takes on the DCC thread: quarantined requests (G6) released or deleted."""

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
