"""SEC Section P: entry-test gating — PP may send in a User Role only after a passed entry-test run in it."""

from __future__ import annotations

from dataclasses import dataclass

from .catalogue import UserRole
from .exclusions import Refusal


@dataclass(frozen=True, slots=True)
class EntryTestRun:
    """One recorded entry-test run of the PP Function in one role."""

    role: UserRole
    run_id: str
    passed: bool
    completed_at: str  # ISO 8601, as recorded by the test lead


class EntryTestRegister:
    """Recorded entry-test runs per role; the gate PP traffic must pass."""

    def __init__(self) -> None:
        self._runs: dict[UserRole, list[EntryTestRun]] = {}

    def record(self, role: UserRole | str, run_id: str, *, passed: bool, completed_at: str) -> EntryTestRun:
        """Record a completed run (passed or failed); run ids are unique."""
        if not run_id:
            raise ValueError("an entry-test run needs a run id")
        if any(r.run_id == run_id for runs in self._runs.values() for r in runs):
            raise ValueError(f"entry-test run {run_id!r} already recorded")
        run = EntryTestRun(UserRole(role), run_id, passed, completed_at)
        self._runs.setdefault(run.role, []).append(run)
        return run

    def runs(self, role: UserRole | str) -> tuple[EntryTestRun, ...]:
        """Every recorded run in ``role``, oldest first."""
        return tuple(self._runs.get(UserRole(role), ()))

    def may_send(self, role: UserRole | str) -> bool:
        """True once a passed entry-test run in ``role`` is recorded."""
        return any(r.passed for r in self.runs(role))

    def gate(self, role: UserRole | str, srv: str = "") -> Refusal | None:
        """A refusal while ``role`` has no passed entry-test run, else None."""
        if self.may_send(role):
            return None
        tried = len(self.runs(role))
        detail = f"{tried} run(s) recorded, none passed" if tried else "no run recorded"
        return Refusal(srv, "entry-test", f"no passed entry-test run in role {UserRole(role)} ({detail})")
