"""Form parsing and validation: every problem is reported against the field it belongs to.

Each parser returns ``(value, errors)``; ``errors`` maps a field name to its message and the
value is None whenever there is any error, so nothing is stored from a bad form.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from proving.anomaly import DCC_WIDE, ProfileError, Threshold, ThresholdProfile, validate_profile
from proving.catalogue import catalogue
from proving.eui import eui_str
from proving.registration import Fuel, RegistrationData, problems

Errors = dict[str, str]
RD_COLUMNS = ("mpxn", "fuel", "supplier_id", "network_operator_id", "market_area", "rdp_signifier")
MAX_RD_RECORDS = 1000


def text(form: Mapping[str, object], name: str, limit: int = 200_000) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def parse_eui(value: str) -> str | None:
    try:
        return eui_str(value)
    except (ValueError, TypeError):
        return None


def parse_time(value: str) -> float | None:
    """A UTC time from ``YYYY-MM-DDTHH:MM[:SS]`` (datetime-local) or ISO 8601."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Audit trail search criteria (all optional)."""

    request_id: str = ""
    device: str | None = None
    srv: str = ""
    since: float | None = None
    until: float | None = None
    kind: str = ""
    out_of_sequence: bool = False

    @property
    def empty(self) -> bool:
        return self == AuditQuery()


def audit_query(form: Mapping[str, object]) -> tuple[AuditQuery | None, Errors]:
    errors: Errors = {}
    device_text = text(form, "device", 64)
    device = parse_eui(device_text) if device_text else None
    if device_text and device is None:
        errors["device"] = "Enter a device ID as 16 hex digits (hyphens allowed), e.g. 00-DB-12-34-56-7B-A0-00."
    srv = text(form, "srv", 16)
    if srv and srv not in catalogue():
        errors["srv"] = f"{srv!r} is not a Service Reference Variant (e.g. 4.1.1)."
    times: dict[str, float | None] = {}
    for name in ("since", "until"):
        value = text(form, name, 40)
        try:
            times[name] = parse_time(value) if value else None
        except ValueError:
            errors[name] = "Enter a UTC date and time, e.g. 2026-11-21T09:30."
    since, until = times.get("since"), times.get("until")
    if since is not None and until is not None and since > until:
        errors["until"] = "The end must not be before the start."
    kind = text(form, "kind", 16)
    if kind and kind not in ("request", "response", "alert"):
        errors["kind"] = "Choose request, response or alert."
    request_id = text(form, "request_id", 120)
    if request_id and request_id.count(":") != 2:
        errors["request_id"] = "A RequestID is originator:target:counter, e.g. 90-B3-D5-1F-3F-50-00-01:00-DB-…:1."
    if errors:
        return None, errors
    return AuditQuery(request_id.upper(), device, srv, since, until, kind,
                      text(form, "oos", 4) in ("1", "on", "yes")), {}


def threshold_profile(form: Mapping[str, object], owners: list[str]) -> tuple[tuple[str, ThresholdProfile] | None,
                                                                               Errors]:
    """Owner and rules (one ``scope, window seconds, limit`` per line)."""
    errors: Errors = {}
    owner = text(form, "owner", 64)
    if owner.upper() == DCC_WIDE:
        owner = DCC_WIDE
    elif parse_eui(owner):
        owner = parse_eui(owner) or owner
    if owner not in owners:
        errors["owner"] = "Choose one of the listed owners."
    rules: list[Threshold] = []
    lines = [line for line in text(form, "rules").splitlines() if line.strip()]
    if not lines:
        errors["rules"] = "Give at least one rule: scope, window in seconds, limit (e.g. 4.1.1, 3600, 10)."
    for number, line in enumerate(lines, 1):
        parts = [p.strip() for p in line.split(",")]
        try:
            if len(parts) != 3:
                raise ValueError("expected three values: scope, window in seconds, limit")
            window, limit = float(parts[1]), int(parts[2])
            rule = Threshold(parts[0], window, limit)
            validate_profile(ThresholdProfile((rule,)))
        except (ValueError, ProfileError) as exc:
            errors["rules"] = f"Line {number} ({line.strip()!r}): {exc}."
            break
        rules.append(rule)
    if errors:
        return None, errors
    return (owner, ThresholdProfile(tuple(rules))), {}


def registration_records(source: str, rdp_signifiers: Mapping[Fuel, str]) -> tuple[list[RegistrationData] | None,
                                                                                 Errors]:
    """CSV lines ``mpxn,fuel,supplier_id,network_operator_id,market_area,rdp_signifier`` (a header is optional)."""
    rows = [row for row in csv.reader(io.StringIO(source)) if any(cell.strip() for cell in row)]
    if rows and [c.strip().lower() for c in rows[0]] == list(RD_COLUMNS):
        rows = rows[1:]
    if not rows:
        return None, {"records": "Give at least one record: " + ",".join(RD_COLUMNS) + "."}
    if len(rows) > MAX_RD_RECORDS:
        return None, {"records": f"At most {MAX_RD_RECORDS} records per upload."}
    found: list[str] = []
    records: list[RegistrationData] = []
    for number, row in enumerate(rows, 1):
        cells = [c.strip() for c in row]
        if len(cells) != len(RD_COLUMNS):
            found.append(f"line {number}: expected {len(RD_COLUMNS)} values ({', '.join(RD_COLUMNS)})")
            continue
        try:
            fuel = Fuel(cells[1].lower())
        except ValueError:
            found.append(f"line {number}: fuel must be electricity or gas")
            continue
        rd = RegistrationData(cells[0], fuel, cells[2], cells[3], cells[4], cells[5])
        issues = problems(rd)
        if rdp_signifiers.get(fuel) and rd.rdp_signifier != rdp_signifiers[fuel] and not issues:
            issues.append(f"rdp_signifier {rd.rdp_signifier!r} is not the PP RDP for {fuel} ({rdp_signifiers[fuel]})")
        found.extend(f"line {number}: {issue}" for issue in issues)
        records.append(rd)
    if found:
        return None, {"records": "Refused, nothing stored: " + "; ".join(found[:10])
                      + (f"; and {len(found) - 10} more" if len(found) > 10 else "") + "."}
    return records, {}


def generation(form: Mapping[str, object]) -> tuple[tuple[int, Fuel, int] | None, Errors]:
    errors: Errors = {}
    try:
        count = int(text(form, "count", 10))
        if not 1 <= count <= MAX_RD_RECORDS:
            raise ValueError
    except ValueError:
        count = 0
        errors["count"] = f"Enter a whole number from 1 to {MAX_RD_RECORDS}."
    try:
        fuel = Fuel(text(form, "fuel", 20))
    except ValueError:
        fuel = Fuel.ELECTRICITY
        errors["fuel"] = "Choose electricity or gas."
    seed_text = text(form, "seed", 20) or "0"
    try:
        seed = int(seed_text)
    except ValueError:
        seed = 0
        errors["seed"] = "Enter a whole number."
    return (None, errors) if errors else ((count, fuel, seed), {})


def quarantine_ref(form: Mapping[str, object]) -> tuple[int | None, Errors]:
    value = text(form, "ref", 24)
    if not value.isdigit():
        return None, {"ref": "A QuarantineEventRef is a whole number."}
    return int(value), {}


MAX_STIMULUS_ALERTS = 1000
MAX_CLOCK_ADVANCE = 366 * 86400


def alert_stimulus(form: Mapping[str, object]) -> tuple[tuple[int, int] | None, Errors]:
    """Alert code (4 hex digits, e.g. 8F3D) and how many times to raise it (1 to 1000)."""
    errors: Errors = {}
    code_text = text(form, "code", 8).upper().removeprefix("0X")
    code = 0
    if len(code_text) != 4 or any(c not in "0123456789ABCDEF" for c in code_text):
        errors["code"] = "Enter a device alert code as four hexadecimal digits, e.g. 8F3D."
    else:
        code = int(code_text, 16)
    try:
        count = int(text(form, "count", 10))
        if not 1 <= count <= MAX_STIMULUS_ALERTS:
            raise ValueError
    except ValueError:
        count = 0
        errors["count"] = f"Enter a whole number from 1 to {MAX_STIMULUS_ALERTS}."
    return (None, errors) if errors else ((code, count), {})


def clock_advance(form: Mapping[str, object]) -> tuple[float | None, Errors]:
    """Seconds to move the premises' virtual clock forward (more than 0, at most a year)."""
    try:
        seconds = float(text(form, "seconds", 20))
        if not 0 < seconds <= MAX_CLOCK_ADVANCE:
            raise ValueError
    except ValueError:
        return None, {"seconds": f"Enter a number of seconds above 0 and at most {MAX_CLOCK_ADVANCE}."}
    return seconds, {}
