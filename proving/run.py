"""A Production Proving run: every suite item through the PP client, and the report automated checks read.

Report (JSON)::

    {"requests": [{"file": ..., "srv": "4.1.1", "role": "IS", "outcome": "I0" | "I99" | "E.." | "refused"
                   | "unsupported", "status": "passed" | "failed" | "refused" | "unsupported",
                   "reason": ..., "response_xml": [paths], "gbcs": [hex], "duration_ms": ...}],
     "summary": {"total": ..., "passed": ..., "failed": ..., "refused": ..., "unsupported": ...,
                 "by_outcome": {...}, "duration_s": ...}}

A request *passes* with I0 or I99 once its device answered (the final outcome of the
critical two-step flow counts); requests Section P excludes are *refused* and never sent;
requests no PP role may send, or whose use case the emulated devices do not implement, are
*unsupported* (listed with the reason); anything else *failed*.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .client import PpClient, Sent
from .embedded import EmbeddedDcc
from .identities import ACB, user
from .suites import SuiteItem

PASS_CODES = frozenset({"I0", "I99"})
UNSUPPORTED_REASONS = ("no transform for this use case", "does not serve a", "the context lacks", "the DCC's record")


def _record(item: SuiteItem) -> dict[str, Any]:
    return {"file": item.name, "srv": item.srv, "role": item.role, "device_type": item.device_type,
            "outcome": None, "status": None, "reason": None, "response_xml": [], "gbcs": [], "duration_ms": 0.0}


def target_for(dcc: EmbeddedDcc, item: SuiteItem) -> bytes | None:
    if item.device_type is None:
        return ACB  # non-device requests go to the DCC
    return dcc.premises.first_of(item.device_type, item.profile) or dcc.premises.first_of(item.device_type)


def _store(out_dir: Path, index: int, sent: Sent) -> list[str]:
    paths = []
    for k, document in enumerate(sent.responses, 1):
        path = out_dir / f"{index:04d}_{k}.xml"
        path.write_bytes(document)
        paths.append(str(path))
    return paths


def run_items(dcc: EmbeddedDcc, items: list[SuiteItem], out_dir: str | Path,
              progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
    """Send every item (see the module text); responses are written to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    client = PpClient(dcc)
    records = []
    started = time.perf_counter()
    for index, item in enumerate(items, 1):
        record = _record(item)
        records.append(record)
        if progress is not None:
            progress(index, len(items), Path(item.name).name)
        if item.refusal is not None:
            record.update(outcome="refused", status="refused", reason=item.refusal)
            continue
        if item.problem is not None or item.request is None:
            record.update(outcome="unsupported", status="failed", reason=item.problem or "no request")
            continue
        target = target_for(dcc, item)
        if item.role is None or target is None:
            why = "no Production Proving role may send it" if item.role is None else f"no {item.device_type} here"
            record.update(outcome="unsupported", status="unsupported", reason=why)
            continue
        sent = client.send(item.request, user(item.role), target, retarget_body=item.request.request_id.target)
        outcome = sent.outcome
        reason = sent.error
        status = "passed" if outcome in PASS_CODES else "failed"
        if status == "failed" and reason and any(text in reason for text in UNSUPPORTED_REASONS):
            status = "unsupported"
        record.update(outcome=outcome, status=status, reason=reason, response_xml=_store(out, index, sent),
                      gbcs=[m.hex().upper() for m in sent.gbcs], duration_ms=round(sent.duration_ms, 3))
    statuses = Counter(r["status"] for r in records)
    summary = {"total": len(records), **{k: statuses.get(k, 0) for k in ("passed", "failed", "refused",
                                                                         "unsupported")},
               "by_outcome": dict(Counter(r["outcome"] for r in records)),
               "duration_s": round(time.perf_counter() - started, 3)}
    return {"requests": records, "summary": summary}
