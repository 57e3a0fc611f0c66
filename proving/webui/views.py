"""View models shared by pages and the live stream: alerts with their throttling metadata, throttle state."""

from __future__ import annotations

from dataclasses import dataclass

from gbcs.codes import describe_alert_code
from proving import duis
from proving.alert_storm import Alert, AlertStormPolicy, format_alert_code
from proving.audit import AuditRecord, AuditTrail


@dataclass(frozen=True, slots=True)
class AlertView:
    """One delivered alert as the Alerts page shows it."""

    record: AuditRecord
    device: str | None
    code: str
    meaning: str
    dcc: bool  # a DCC Alert (AD1, N..) rather than a Device Alert
    throttled_sequence_id: int | None
    throttled_count: int | None
    detail: str  # e.g. the quarantined RequestID of an AD1


def _meaning(code: str) -> str:
    try:
        return describe_alert_code(int(code, 16)) or ""
    except ValueError:
        return ""


def alert_view(audit: AuditTrail, record: AuditRecord) -> AlertView:
    """Read the alert's DUIS document for the ``Throttled*`` elements and DCC alert details."""
    seq_id = count = None
    detail = ""
    dcc = record.message_type == "DCCAlertMessage"
    _, document = audit.payloads(record.seq)
    if document:
        try:
            body = duis.parse_response(document).body
        except Exception:  # noqa: BLE001 - a document we cannot read still lists, without metadata
            body = None
        if isinstance(body, duis.DeviceAlert | duis.DCCAlert):
            seq_id, count = body.throttled_sequence_id, body.throttled_count
        if isinstance(body, duis.DCCAlert):
            quarantined = getattr(body.alert, "quarantine_event_ref", None)
            if quarantined is not None:
                detail = f"QuarantinedRequest {body.alert.request_id} (QuarantineEventRef {quarantined})"
    code = record.alert_code or ""
    device = None if dcc else record.originator
    return AlertView(record, device, code, "" if dcc else _meaning(code), dcc, seq_id, count, detail)


@dataclass(frozen=True, slots=True)
class ThrottleRow:
    """The throttle state of one (device, alert code) key."""

    device: str
    code: str
    in_window: int
    threshold: int
    outstanding: int
    episode: int | None
    excluded: bool

    @property
    def state(self) -> str:
        if self.excluded:
            return "never throttled (excluded code)"
        if self.outstanding:
            return f"throttling: {self.outstanding} suppressed, not yet reported"
        if self.in_window >= self.threshold:
            return "at the limit: the next alert is suppressed"
        return "delivering"


def throttle_rows(policy: AlertStormPolicy, devices: list[str], seen: set[tuple[str, str]]) -> list[ThrottleRow]:
    """Rows for the keys seen in delivered alerts or with suppressions outstanding, limited to ``devices``.

    Call on the DCC thread: the policy is not thread-safe.
    """
    outstanding = {o.key: o for o in policy.outstanding()}
    keys: dict[tuple[str, str], object] = {}
    for device, code in seen:
        keys[(device, code)] = policy.key_of(Alert(device, int(code, 16) if _hex(code) else code))
    for key in outstanding:
        if isinstance(key, tuple) and len(key) == 2:
            keys.setdefault((str(key[0]), format_alert_code(key[1])), key)
    rows = []
    for (device, code), key in sorted(keys.items()):
        if device not in devices:
            continue
        pending = outstanding.get(key)
        rows.append(ThrottleRow(device, code, policy.in_window(key), policy.config.threshold,
                                pending.count if pending else 0, pending.episode if pending else None,
                                policy.is_excluded(code)))
    return rows


def _hex(code: str) -> bool:
    try:
        int(code, 16)
    except ValueError:
        return False
    return True
