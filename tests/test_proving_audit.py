"""CR1233 service audit trail (proving.audit, proving.audit_store, proving.audit_sequence)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proving.audit import AuditMessage, AuditTrail
from proving.audit_sequence import SequenceTracker

USER = "90-B3-D5-1F-30-01-00-00"
ESME = "00-DB-12-34-56-78-90-A0"
GSME = "00-DB-12-34-56-78-90-A1"


def rid(counter: int, device: str = ESME) -> str:
    return f"{USER}:{device}:{counter}"


def request(counter: int, device: str = ESME, **kw: object) -> AuditMessage:
    kw.setdefault("srv", "1.1.1")
    return AuditMessage("request", "Request", request_id=rid(counter, device), **kw)  # type: ignore[arg-type]


def response(counter: int, device: str = ESME, code: str = "I0", **kw: object) -> AuditMessage:
    return AuditMessage("response", "ResponseMessage", request_id=rid(counter, device), response_code=code, **kw)  # type: ignore[arg-type]


def fd_alert(counter: int, instruction: int, device: str = ESME, code: int = 0x8F66) -> AuditMessage:
    return AuditMessage(
        "response",
        "FutureDatedDeviceAlertMessage",
        request_id=rid(counter, device),
        response_code="I0",
        alert_code=code,
        instruction=instruction,
        total_instructions=3,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
def trail(db: Path):
    t = AuditTrail(db, clock=iter(range(1_000_000)).__next__)
    yield t
    t.close()


def fill(trail: AuditTrail, flows: int = 4) -> None:
    for n in range(1, flows + 1):
        trail.append_many(
            [request(n, future_dated=True, duis=f"<Request n='{n}'/>"), response(n, gbcs="DD00" + f"{n:04X}")]
        )


def raw(db: Path) -> sqlite3.Connection:
    """A plain connection with the append-only triggers dropped: what an attacker with file access can do."""
    conn = sqlite3.connect(db, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    return conn


# ------------------------------------------------------------------ chain


def test_chain_verifies_and_head_is_the_last_record(trail: AuditTrail) -> None:
    fill(trail)
    report = trail.verify_chain()
    assert report.ok and report.checked == 8 and report.first_bad is None
    seq, head = trail.head()
    assert seq == 8 and head == report.head_hash == trail.get(8).hash  # type: ignore[union-attr]
    assert len(trail) == 8


def test_each_hash_chains_the_previous_one(trail: AuditTrail) -> None:
    import hashlib

    from proving.audit_store import FIELDS, canonical

    fill(trail, 1)
    first, second = trail.records()
    values = [getattr(second, f) for f in FIELDS]
    assert second.hash == hashlib.sha256(bytes.fromhex(first.hash) + canonical(values)).hexdigest()


def test_update_and_delete_are_refused(trail: AuditTrail, db: Path) -> None:
    fill(trail)
    conn = sqlite3.connect(db)  # triggers live in the file, so any connection is refused
    with pytest.raises(sqlite3.IntegrityError, match="append-only: UPDATE refused"):
        conn.execute("UPDATE audit SET srv = '6.15.1' WHERE seq = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only: DELETE refused"):
        conn.execute("DELETE FROM audit WHERE seq = 8")
    with pytest.raises(sqlite3.IntegrityError, match="out-of-order INSERT refused"):
        conn.execute("INSERT INTO audit SELECT * FROM audit WHERE seq = 2")
    conn.close()
    assert trail.verify_chain().ok and len(trail.records()) == 8


def test_edited_record_is_detected_and_named(trail: AuditTrail, db: Path) -> None:
    fill(trail)
    conn = raw(db)
    conn.execute("UPDATE audit SET srv = '6.15.1' WHERE seq = 5")
    conn.close()
    report = trail.verify_chain()
    assert not report.ok and report.first_bad == 5 and "hash mismatch" in (report.reason or "")
    assert report.checked == 4


def test_rewritten_hash_does_not_hide_an_edit(trail: AuditTrail, db: Path) -> None:
    fill(trail)
    conn = raw(db)
    conn.execute("UPDATE audit SET response_code = 'E21', hash = 'ab' || substr(hash, 3) WHERE seq = 4")
    conn.close()
    assert trail.verify_chain().first_bad == 4


def test_deleted_record_is_detected_as_a_gap(trail: AuditTrail, db: Path) -> None:
    fill(trail)
    raw(db).execute("DELETE FROM audit WHERE seq = 3")
    report = trail.verify_chain()
    assert report.first_bad == 4 and "expected seq 3" in (report.reason or "")


def test_altered_payload_is_detected(trail: AuditTrail, db: Path) -> None:
    fill(trail)
    raw(db).execute("UPDATE audit SET gbcs = x'DD000099' WHERE seq = 6")
    report = trail.verify_chain()
    assert report.first_bad == 6 and "GBCS payload" in (report.reason or "")


def test_byte_flipped_in_the_file_is_detected_with_the_right_record(db: Path) -> None:
    with AuditTrail(db) as t:
        for n in range(1, 31):
            t.append(request(n, srv=None, extra={"marker": f"MARK-{n:04d}"}))
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(db.read_bytes())
    at = data.find(b"MARK-0017")
    assert at >= 0 and data.count(b"MARK-0017") == 1
    data[at + 5] ^= 0x01  # '0' -> '1' inside the stored record, page structure intact
    db.write_bytes(bytes(data))
    with AuditTrail(db) as t:
        report = t.verify_chain()
    assert not report.ok and report.first_bad == 17


def test_truncation_is_caught_against_an_external_anchor(trail: AuditTrail, db: Path) -> None:
    fill(trail)
    anchor = trail.head()
    assert trail.verify_chain(anchor).ok
    raw(db).execute("DELETE FROM audit WHERE seq > 6")
    assert trail.verify_chain().ok  # a shorter chain is still a valid chain...
    report = trail.verify_chain(anchor)
    assert not report.ok and report.first_bad == 8 and "truncated" in (report.reason or "")


def test_full_chain_rewrite_is_caught_only_by_the_anchor(trail: AuditTrail, db: Path) -> None:
    from proving.audit_store import FIELDS, GENESIS, chain_hash

    fill(trail)
    anchor = trail.head()
    conn = raw(db)
    conn.execute("UPDATE audit SET response_code = 'E21' WHERE seq = 2")
    previous = GENESIS
    for row in conn.execute(f"SELECT {', '.join(FIELDS)} FROM audit ORDER BY seq").fetchall():
        previous = chain_hash(previous, row)
        conn.execute("UPDATE audit SET hash = ? WHERE seq = ?", (previous.hex(), row[0]))
    conn.close()
    assert trail.verify_chain().ok  # an attacker who recomputes every hash leaves a valid chain
    report = trail.verify_chain(anchor)
    assert not report.ok and report.first_bad == 8 and "anchor" in (report.reason or "")


def test_reopening_reinstalls_dropped_triggers(trail: AuditTrail, db: Path) -> None:
    fill(trail, 1)
    raw(db).close()
    AuditTrail(db).close()
    with pytest.raises(sqlite3.IntegrityError):
        sqlite3.connect(db).execute("DELETE FROM audit")


# ------------------------------------------------------------------ recording and queries


def test_records_carry_ids_correlation_payload_refs_and_times(trail: AuditTrail) -> None:
    xml = "<sr:Request xmlns:sr='x'>ü</sr:Request>".encode()
    req = trail.append(request(7, future_dated=True, duis=xml, direction="in", device_time=1_600_000_000))
    resp = trail.append(response(7, gbcs="dd00aabb", response_id=f"{ESME}:{USER}:7"))
    assert (req.seq, req.kind, req.srv, req.request_id) == (1, "request", "1.1.1", rid(7))
    assert (req.originator, req.target, req.correlates_to, req.future_dated) == (USER, ESME, None, 1)
    assert (req.recorded_at, req.device_time, req.direction) == (0.0, 1_600_000_000.0, "in")
    assert (resp.originator, resp.target, resp.correlates_to) == (ESME, USER, rid(7))
    assert trail.payloads(1) == (None, xml)
    assert trail.payloads(2) == (bytes.fromhex("DD00AABB"), None)
    assert resp.gbcs_ref is not None and req.duis_ref is not None and resp.duis_ref is None


def test_alerts_normalise_codes_and_default_peers_from_the_correlated_request(trail: AuditTrail) -> None:
    trail.append(request(1))
    a = trail.append(AuditMessage("alert", "DeviceAlertMessage", alert_code=0x8F66, correlates_to=rid(1)))
    b = trail.append(AuditMessage("alert", "DCCAlertMessage", alert_code="n24", originator="90-b3-d5-1f-30-00-00-02"))
    assert (a.alert_code, a.originator, a.target) == ("8F66", ESME, USER)
    assert (b.alert_code, b.originator, b.correlates_to) == ("N24", "90-B3-D5-1F-30-00-00-02", None)


def test_queries_by_request_device_and_out_of_sequence(trail: AuditTrail) -> None:
    trail.append_many([request(1), request(2, GSME), fd_alert(1, 1), response(1), response(2, GSME), fd_alert(1, 2)])
    assert [r.seq for r in trail.by_request(rid(1))] == [1, 3, 4, 6]
    assert [r.seq for r in trail.by_device(GSME)] == [2, 5]
    assert [r.seq for r in trail.by_device(ESME.lower())] == [1, 3, 4, 6]
    assert [r.seq for r in trail.out_of_sequence()] == [3, 4]
    assert trail.get(99) is None


def test_extra_metadata_is_stored_canonically(trail: AuditTrail) -> None:
    rec = trail.append(
        AuditMessage("alert", alert_code=0x8F3D, originator=ESME, extra={"ThrottledAlertCount": 4, "a": [1]})
    )
    assert rec.extra == '{"ThrottledAlertCount":4,"a":[1]}' and rec.extra_data()["ThrottledAlertCount"] == 4


def test_non_text_values_are_stored_as_text_so_the_chain_still_verifies(trail: AuditTrail) -> None:
    rec = trail.append(AuditMessage("request", srv=4.1, request_id=rid(1), message_type=3))  # type: ignore[arg-type]
    assert (rec.srv, rec.message_type) == ("4.1", "3")
    assert trail.get(1) == rec and trail.verify_chain().ok


def test_bad_messages_are_refused_and_the_batch_is_atomic(trail: AuditTrail) -> None:
    trail.append(request(1))
    with pytest.raises(ValueError, match="kind"):
        trail.append_many([response(1), AuditMessage("bogus")])
    with pytest.raises(TypeError, match="instruction"):
        trail.append(AuditMessage("alert", instruction="1"))  # type: ignore[arg-type]
    assert len(trail) == 1 and len(trail.records()) == 1
    assert not trail.append(response(1)).flagged  # the failed batch left no sequencing trace
    assert trail.verify_chain().ok


# ------------------------------------------------------------------ CR1233 out-of-sequence capture


def test_in_order_future_dated_flow_is_not_flagged(trail: AuditTrail) -> None:
    trail.append_many([request(1, future_dated=True), response(1), fd_alert(1, 1), fd_alert(1, 2), fd_alert(1, 3)])
    assert trail.out_of_sequence() == []


def test_future_dated_alert_before_its_immediate_response_is_captured(trail: AuditTrail) -> None:
    recs = trail.append_many(
        [
            request(1, future_dated=True),
            fd_alert(1, 1),  # 0x8F66 overtakes the immediate response
            response(1),
            fd_alert(1, 3),
            fd_alert(1, 2),  # per-instruction alerts interleaved
            fd_alert(1, 2),  # WAN retry duplicate
        ]
    )
    flagged = {r.seq: r.oos_reason for r in trail.out_of_sequence()}
    assert sorted(flagged) == [2, 3, 5, 6]
    assert "8F66" in flagged[2] and "before its immediate response" in flagged[2]
    assert "after 1 of its alert(s)" in flagged[3]
    assert "instruction 2 after instruction 3" in flagged[5]
    assert "duplicate" in flagged[6]
    assert all(r.correlates_to == rid(1) for r in recs[1:])  # correlation does not depend on arrival order


def test_failure_alert_0x8f67_is_tracked_like_0x8f66(trail: AuditTrail) -> None:
    trail.append_many([request(1, future_dated=True), fd_alert(1, 1, code=0x8F67)])
    assert "8F67" in (trail.out_of_sequence()[0].oos_reason or "")


def test_response_while_an_earlier_response_is_missing_is_captured(trail: AuditTrail) -> None:
    trail.append_many([request(1), request(2), request(3, GSME), response(3, GSME), response(2)])
    (late,) = trail.out_of_sequence()
    assert late.seq == 5 and f"earlier request {rid(1)}" in (late.oos_reason or "")
    assert trail.awaiting_response() == [rid(1)]
    assert not trail.append(response(1)).flagged  # the missing one turning up late is itself in order


def test_orphan_duplicate_and_acknowledgement_cases(trail: AuditTrail) -> None:
    assert "before any request" in (trail.append(response(9)).oos_reason or "")
    assert "before any request" in (trail.append(fd_alert(8, 1)).oos_reason or "")
    trail.append(request(1))
    assert not trail.append(response(1, code="I99")).flagged  # an acknowledgement, not the device response
    assert not trail.append(response(1)).flagged
    assert "duplicate response" in (trail.append(response(1)).oos_reason or "")
    assert "duplicate request" in (trail.append(request(1)).oos_reason or "")
    n24 = AuditMessage("alert", "DCCAlertMessage", alert_code="N24", correlates_to=rid(1))
    assert not trail.append(n24).flagged


# ------------------------------------------------------------------ durability and concurrency


def test_nothing_lost_across_reopen(db: Path) -> None:
    with AuditTrail(db) as t:
        t.append_many([request(1, future_dated=True), request(2, GSME), response(2, GSME, gbcs="DD01")])
        anchor = t.head()
    with AuditTrail(db) as t:
        assert len(t) == 3 and t.verify_chain(anchor).ok and t.payloads(3)[0] == b"\xdd\x01"
        assert [r.seq for r in t.append_many([fd_alert(1, 1), response(1)])] == [4, 5]
        assert [r.seq for r in t.out_of_sequence()] == [4, 5]  # sequencing state survived the reopen
        assert t.awaiting_response() == []
        assert t.verify_chain().ok and t.verify_chain(anchor).ok
    with AuditTrail(db) as t:
        assert len(t.records()) == 5 and t.verify_chain().checked == 5


def test_concurrent_appends_from_threads_keep_one_gapless_chain(db: Path) -> None:
    trail = AuditTrail(db)
    errors: list[BaseException] = []

    def worker(w: int) -> None:
        try:
            for n in range(50):
                base = w * 1000 + n
                trail.append_many([request(base), response(base)])
                trail.append(AuditMessage("alert", alert_code=0x8F3D, originator=ESME))
                trail.by_request(rid(base))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert [r.seq for r in trail.records()] == list(range(1, 601))
    assert trail.verify_chain().ok and trail.out_of_sequence() == []
    trail.close()


def test_wal_journal_mode(trail: AuditTrail, db: Path) -> None:
    fill(trail, 1)
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# ------------------------------------------------------------------ property: order-independent correlation


@settings(max_examples=200, deadline=None)
@given(order=st.permutations(["response", 1, 2, 3]))
def test_property_future_dated_flow_flagged_iff_out_of_order(order: list) -> None:
    tracker = SequenceTracker()
    r = rid(1)
    assert tracker.observe("request", r, None, USER, ESME, None, None, None) is None
    flags = []
    for item in order:
        if item == "response":
            flags.append(tracker.observe("response", r, r, ESME, USER, "I0", None, None))
        else:
            flags.append(tracker.observe("response", r, r, ESME, USER, "I0", "8F66", item))
    in_order = order == ["response", 1, 2, 3]
    assert (all(f is None for f in flags)) == in_order
