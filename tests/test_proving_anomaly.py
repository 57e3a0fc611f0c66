"""SEC G6 anomaly detection: approval gating, sliding-window counting, quarantine, release and delete."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proving.anomaly import (
    DCC_WIDE,
    AnomalyDetector,
    AttributeLimit,
    BreachKind,
    Disposition,
    ProfileError,
    Request,
    Threshold,
    ThresholdProfile,
    UnknownQuarantineRef,
    scope_matches,
)

A = "90-B3-D5-1F-3F-00-00-01"
B = "90-B3-D5-1F-3F-00-00-02"
ESME = "00-DB-12-34-56-78-90-A0"


class Clock:
    """A settable clock for the detector."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


_ids = iter(range(10**9))


def req(originator: str = A, srv: str = "4.1.1", **attributes: float) -> Request:
    return Request(f"{originator}:{ESME}:{next(_ids)}", originator, srv, attributes)


def detector(*thresholds: Threshold, owner: str = A, limits: tuple[AttributeLimit, ...] = ()) -> tuple[
        AnomalyDetector, Clock]:
    clock = Clock()
    det = AnomalyDetector(clock)
    det.set_profile(owner, ThresholdProfile(thresholds, limits))
    assert det.approve(owner) == []
    return det, clock


# --- approval gating --------------------------------------------------------------------------------


def test_traffic_is_held_until_a_profile_is_set_and_approved() -> None:
    det = AnomalyDetector(Clock())
    first = det.submit(req())
    assert first.disposition is Disposition.HELD
    det.set_profile(A, ThresholdProfile((Threshold("*", 60, 10),)))
    second = det.submit(req())
    assert second.disposition is Disposition.HELD  # set but not yet approved
    assert not det.approved(A) and det.held() == (first.request, second.request)
    outcomes = det.approve(A)
    assert [o.request for o in outcomes] == [first.request, second.request]
    assert all(o.disposition is Disposition.PROCESSED for o in outcomes)
    assert det.held() == () and det.submit(req()).disposition is Disposition.PROCESSED


def test_approval_is_per_originator() -> None:
    det, _ = detector(Threshold("*", 60, 10))
    assert det.submit(req(A)).disposition is Disposition.PROCESSED
    held = det.submit(req(B))
    assert held.disposition is Disposition.HELD and det.held(B) == (held.request,) and det.held(A) == ()


def test_approve_needs_a_proposed_profile() -> None:
    det = AnomalyDetector(Clock())
    with pytest.raises(ProfileError, match="awaiting approval"):
        det.approve(A)


def test_pending_change_keeps_the_approved_profile_in_force() -> None:
    det, _ = detector(Threshold("*", 60, 1))
    assert det.submit(req()).disposition is Disposition.PROCESSED
    det.set_profile(A, ThresholdProfile((Threshold("*", 60, 5),)))
    assert det.submit(req()).disposition is Disposition.QUARANTINED  # old limit 1 still applies
    det.approve(A)
    assert det.submit(req()).disposition is Disposition.PROCESSED  # history kept: 2 of 5


def test_held_requests_are_counted_on_approval() -> None:
    det = AnomalyDetector(Clock())
    submitted = [det.submit(req()).request for _ in range(5)]
    det.set_profile(A, ThresholdProfile((Threshold("*", 60, 3),)))
    outcomes = det.approve(A)
    assert [o.request for o in outcomes] == submitted
    assert [o.disposition for o in outcomes] == [Disposition.PROCESSED] * 3 + [Disposition.QUARANTINED] * 2


# --- window counting --------------------------------------------------------------------------------


def test_sliding_window() -> None:
    t = Threshold("4.1.1", 10, 2)
    det, clock = detector(t)
    assert det.submit(req()).disposition is Disposition.PROCESSED
    clock.now = 5
    assert det.submit(req()).disposition is Disposition.PROCESSED
    clock.now = 9.9
    assert det.submit(req()).disposition is Disposition.QUARANTINED
    assert det.count(A, t) == 2
    clock.now = 10  # the request at 0 has left the window (now - window, now]
    assert det.count(A, t) == 1
    assert det.submit(req()).disposition is Disposition.PROCESSED
    assert det.submit(req()).disposition is Disposition.QUARANTINED


def test_scopes() -> None:
    assert scope_matches("*", "7.1") and scope_matches("4.1", "4.1.3") and not scope_matches("4.1", "4.10")
    assert scope_matches("4.1.1", "4.1.1") and not scope_matches("4.1.1", "4.1.2")
    assert scope_matches("critical", "7.1") and not scope_matches("critical", "7.4")
    assert scope_matches("non-critical", "7.4") and not scope_matches("non-critical", "9.9.9")
    det, _ = detector(Threshold("4.1", 60, 1), Threshold("critical", 60, 1))
    assert det.submit(req(srv="4.1.1")).disposition is Disposition.PROCESSED
    assert det.submit(req(srv="4.1.2")).disposition is Disposition.QUARANTINED  # same group
    assert det.submit(req(srv="4.10")).disposition is Disposition.PROCESSED  # not in group 4.1
    assert det.submit(req(srv="7.1")).disposition is Disposition.PROCESSED
    assert det.submit(req(srv="7.2")).disposition is Disposition.QUARANTINED  # critical type


def test_quarantined_requests_do_not_consume_the_budget() -> None:
    det, clock = detector(Threshold("*", 10, 1))
    det.submit(req())
    for _ in range(5):
        assert det.submit(req()).disposition is Disposition.QUARANTINED
    clock.now = 10
    assert det.submit(req()).disposition is Disposition.PROCESSED


def test_dcc_wide_totals_across_originators() -> None:
    det, _ = detector(Threshold("*", 60, 100))
    det.set_profile(B, ThresholdProfile((Threshold("*", 60, 100),)))
    det.approve(B)
    det.set_profile(DCC_WIDE, ThresholdProfile((Threshold("4.1.1", 60, 3),)))
    det.approve(DCC_WIDE)
    assert [det.submit(req(o)).disposition for o in (A, B, A)] == [Disposition.PROCESSED] * 3
    out = det.submit(req(B))
    assert out.disposition is Disposition.QUARANTINED and out.quarantine.breach is BreachKind.DCC
    assert out.quarantine.owner == DCC_WIDE
    assert det.submit(req(B, srv="4.2")).disposition is Disposition.PROCESSED  # other SRV not in DCC scope


def test_user_breach_kind_and_alert_body() -> None:
    det, _ = detector(Threshold("*", 60, 0))
    out = det.submit(req())
    rec = out.quarantine
    assert rec.breach is BreachKind.USER and rec.owner == A and rec.rule == Threshold("*", 60, 0)
    assert rec.alert() == {"QuarantinedRequest": {"ADUserThresholdBreach": {
        "RequestID": out.request.request_id, "QuarantineEventRef": rec.ref}}}


def test_attribute_limits() -> None:
    det, _ = detector(Threshold("*", 60, 100), limits=(AttributeLimit("2.2", "amount", 0, 5000),))
    assert det.submit(req(srv="2.2", amount=100)).disposition is Disposition.PROCESSED
    out = det.submit(req(srv="2.2", amount=5001))
    assert out.quarantine.breach is BreachKind.ATTRIBUTE
    assert "ADAttributeLimitsBreach" in out.quarantine.alert()["QuarantinedRequest"]
    assert det.submit(req(srv="2.3", amount=10**6)).disposition is Disposition.PROCESSED  # out of scope
    assert det.submit(req(srv="2.2")).disposition is Disposition.PROCESSED  # attribute absent


def test_quarantine_event_refs_are_unique_and_at_most_20_digits() -> None:
    clock = Clock()
    det = AnomalyDetector(clock, first_ref=10**20 - 3)
    det.set_profile(A, ThresholdProfile((Threshold("*", 60, 0),)))
    det.approve(A)
    refs = [det.submit(req()).quarantine.ref for _ in range(3)]
    assert refs == [10**20 - 3, 10**20 - 2, 10**20 - 1] and all(len(str(r)) <= 20 for r in refs)
    with pytest.raises(OverflowError):
        det.submit(req())
    with pytest.raises(ValueError):
        AnomalyDetector(clock, first_ref=10**20)


# --- release / delete -------------------------------------------------------------------------------


def test_release_processes_and_counts_the_request() -> None:
    t = Threshold("*", 60, 1)
    det, _ = detector(t)
    det.submit(req())
    q = det.submit(req())
    assert det.release(q.quarantine.ref) is q.request
    assert det.count(A, t) == 2 and det.quarantined() == ()
    with pytest.raises(UnknownQuarantineRef):
        det.release(q.quarantine.ref)


def test_delete_drops_the_request() -> None:
    t = Threshold("*", 60, 1)
    det, _ = detector(t)
    det.submit(req())
    q = det.submit(req())
    assert det.delete(q.quarantine.ref) == q.quarantine
    assert det.quarantined() == () and det.count(A, t) == 1
    with pytest.raises(UnknownQuarantineRef, match=str(q.quarantine.ref)):
        det.delete(q.quarantine.ref)


# --- profile validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "profile",
    [
        ThresholdProfile((Threshold("4.99", 60, 1),)),
        ThresholdProfile((Threshold("*", 0, 1),)),
        ThresholdProfile((Threshold("*", 60, -1),)),
        ThresholdProfile((), (AttributeLimit("2.2", "amount"),)),
        ThresholdProfile((), (AttributeLimit("2.2", "amount", 5, 1),)),
        ThresholdProfile((), (AttributeLimit("nope", "amount", 0, 1),)),
    ],
)
def test_bad_profiles_are_rejected(profile: ThresholdProfile) -> None:
    with pytest.raises(ProfileError):
        AnomalyDetector(Clock()).set_profile(A, profile)


def test_request_from_request_id_and_bad_originators() -> None:
    r = Request.from_request_id(f"{A}:{ESME}:17", "4.1.1")
    assert r.originator == A and r.attributes == {}
    with pytest.raises(ValueError):
        AnomalyDetector(Clock()).submit(Request("x", DCC_WIDE, "4.1.1"))
    with pytest.raises(ValueError):
        AnomalyDetector(Clock()).submit(Request("x", "not-an-eui", "4.1.1"))


# --- properties -------------------------------------------------------------------------------------

SRVS = ["4.1.1", "4.1.2", "7.1", "7.4"]
THRESHOLDS = (Threshold("*", 10, 4), Threshold("4.1", 3, 2), Threshold("critical", 7, 1))
steps = st.lists(
    st.tuples(st.floats(0, 5, allow_nan=False), st.sampled_from([A, B]), st.sampled_from(SRVS)), max_size=60
)


@given(steps)
@settings(max_examples=150, deadline=None)
def test_counts_never_exceed_thresholds_and_quarantine_is_never_spurious(trace: list[tuple[float, str, str]]) -> None:
    clock = Clock()
    det = AnomalyDetector(clock)
    for owner in (A, B):
        det.set_profile(owner, ThresholdProfile(THRESHOLDS))
        det.approve(owner)
    processed: list[tuple[float, str, str]] = []
    for dt, originator, srv in trace:
        clock.now += dt
        now = clock.now

        def in_window(t: Threshold, originator: str = originator, now: float = now) -> int:
            return sum(1 for at, o, s in processed if o == originator and scope_matches(t.scope, s)
                       and now - t.window < at <= now)

        full = [t for t in THRESHOLDS if scope_matches(t.scope, srv) and in_window(t) >= t.limit]
        out = det.submit(req(originator, srv))
        if full:  # a brute-force model says the request would breach: it must be quarantined
            assert out.disposition is Disposition.QUARANTINED and out.quarantine.rule in full
        else:
            assert out.disposition is Disposition.PROCESSED
            processed.append((now, originator, srv))
        for t in THRESHOLDS:  # never above a limit
            assert in_window(t) <= t.limit and det.count(originator, t) == in_window(t)


@given(st.lists(st.tuples(st.sampled_from([A, B]), st.sampled_from(SRVS)), max_size=40), st.integers(0, 6))
@settings(max_examples=100, deadline=None)
def test_approval_releases_exactly_the_held_items_in_order(items: list[tuple[str, str]], limit: int) -> None:
    det = AnomalyDetector(Clock())
    sent = [det.submit(req(o, s)) for o, s in items]
    assert all(o.disposition is Disposition.HELD for o in sent)
    assert det.held() == tuple(o.request for o in sent)
    released: list[Request] = []
    for owner in (B, A):
        det.set_profile(owner, ThresholdProfile((Threshold("*", 60, limit),)))
        outcomes = det.approve(owner)
        assert [o.request for o in outcomes] == [o.request for o in sent if o.request.originator == owner]
        assert sum(o.disposition is Disposition.PROCESSED for o in outcomes) == min(limit, len(outcomes))
        released += [o.request for o in outcomes]
    assert det.held() == () and len(released) == len(sent)
    assert {id(r) for r in released} == {id(o.request) for o in sent}  # none lost, none duplicated
    quarantined = [q.request for q in det.quarantined()]
    assert quarantined == [r for r in released if any(r is q for q in quarantined)]  # order kept


@given(st.integers(1, 30), st.data())
@settings(max_examples=100, deadline=None)
def test_release_and_delete_return_exactly_the_quarantined_items(n: int, data: st.DataObject) -> None:
    det, _ = detector(Threshold("*", 60, 0))
    records = [det.submit(req()).quarantine for _ in range(n)]
    assert len({r.ref for r in records}) == n
    order = data.draw(st.permutations(records))
    actions = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    got: list[Request] = []
    for record, release in zip(order, actions, strict=True):
        got.append(det.release(record.ref) if release else det.delete(record.ref).request)
        remaining = [r for r in records if all(r.request is not g for g in got)]
        assert list(det.quarantined()) == remaining  # the rest stay, oldest first
    assert [id(g) for g in got] == [id(r.request) for r in order]
