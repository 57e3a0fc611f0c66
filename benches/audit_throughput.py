"""Audit-trail throughput: batched hash-chained inserts into SQLite (WAL), then a full chain verify.

    python -m benches.audit_throughput [--records N] [--batch B] [--synchronous NORMAL|FULL]

The workload is a realistic mix of future-dated flows (request, immediate response, per
instruction 0x8F66 alerts, about 1 in 20 flows delivered out of order) with small GBCS and DUIS
payloads.  Target (issue 6): >= 20,000 records/s with one transaction per batch.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from proving.audit import AuditMessage, AuditTrail

TARGET_PER_S = 20_000
USER = "90-B3-D5-1F-30-01-00-00"


def workload(count: int) -> list[AuditMessage]:
    """``count`` messages: flows of request + response + 3 instruction alerts, some reordered."""
    out: list[AuditMessage] = []
    flow = 0
    while len(out) < count:
        flow += 1
        device = f"00-DB-12-34-56-78-{flow % 256:02X}-{flow // 256 % 256:02X}"
        rid = f"{USER}:{device}:{1000 + flow}"
        request = AuditMessage(
            "request", "Request", request_id=rid, srv="1.1.1", future_dated=True, duis=f"<Request id='{rid}'/>"
        )
        response = AuditMessage("response", "ResponseMessage", request_id=rid, response_code="I0", gbcs="DD00" * 8)
        alerts = [
            AuditMessage(
                "response",
                "FutureDatedDeviceAlertMessage",
                request_id=rid,
                response_code="I0",
                alert_code=0x8F66,
                instruction=i,
                total_instructions=3,
                gbcs=f"DF09{flow:08X}{i:02X}",
            )
            for i in (1, 2, 3)
        ]
        batch = [request, response, *alerts] if flow % 20 else [request, alerts[0], response, alerts[2], alerts[1]]
        out.extend(batch)
    return out[:count]


def run(records: int, batch: int, synchronous: str) -> dict[str, float]:
    """Insert then verify; returns the measured rates."""
    messages = workload(records)
    with tempfile.TemporaryDirectory() as tmp:
        trail = AuditTrail(Path(tmp) / "audit.db", synchronous=synchronous)
        start = time.perf_counter()
        for i in range(0, len(messages), batch):
            trail.append_many(messages[i : i + batch])
        insert_s = time.perf_counter() - start
        start = time.perf_counter()
        report = trail.verify_chain()
        verify_s = time.perf_counter() - start
        assert report.ok and report.checked == records, report
        flagged = len(trail.out_of_sequence())
        start = time.perf_counter()
        for j in range(1, 201):
            trail.by_request(f"{USER}:00-DB-12-34-56-78-{j % 256:02X}-{j // 256 % 256:02X}:{1000 + j}")
        query_ms = (time.perf_counter() - start) / 200 * 1000
        trail.close()
    return {
        "insert_per_s": records / insert_s,
        "verify_per_s": records / verify_s,
        "query_ms": query_ms,
        "flagged": flagged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--synchronous", default="NORMAL")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {args.records} records")
    for batch in sorted({1, 100, args.batch, 10_000}):
        count = min(args.records, 20_000) if batch == 1 else args.records
        rates = run(count, batch, args.synchronous)
        if batch == 1:
            verdict = "one txn per record, target n/a"
        else:
            verdict = "ok" if rates["insert_per_s"] >= TARGET_PER_S else "below target"
        print(
            f"batch {batch:>6}: insert {rates['insert_per_s']:>9,.0f} rec/s ({verdict}), "
            f"verify {rates['verify_per_s']:>9,.0f} rec/s, by_request {rates['query_ms']:.3f} ms, "
            f"{rates['flagged']} out-of-sequence over {count} records, synchronous={args.synchronous}"
        )


if __name__ == "__main__":
    main()
