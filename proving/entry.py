"""SEC Section P entry tests: the PP Function may send in a User Role only after an entry-test run in it.

:func:`run_entry_tests` sends, for every PP role, immediate non-critical device requests
that role may send (reads first; up to five until one succeeds), to the DCC's *test environment* (a separate embedded
set-up without the production gates), and records the run in the production register:
passed when the device answered (I0).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from .catalogue import catalogue
from .client import PpClient
from .embedded import EmbeddedDcc, embedded_dcc
from .identities import PP_USERS
from .run import target_for
from .suites import SuiteItem, role_for

ATTEMPTS = 5  # requests tried per role before the entry test counts as failed


def _candidates(items: list[SuiteItem], role: str) -> list[SuiteItem]:
    """Immediate, non-critical device requests ``role`` would send; reads first."""
    found = []
    for item in items:
        srv = catalogue().get(item.srv)
        if (item.request is None or item.refusal or item.device_type is None or srv is None or srv.critical
                or item.request.command_variant != 1 or item.request.execution_datetime is not None):
            continue
        if role_for(item.srv, item.device_type) == role:
            found.append(item)
    return sorted(found, key=lambda i: not catalogue()[i.srv].name.startswith("Read"))


def run_entry_tests(production: EmbeddedDcc, items: list[SuiteItem], state_dir: str | Path,
                    xsd_dir: str | Path) -> dict[str, dict[str, str | None]]:
    """Run and record one entry test per PP role; returns role -> {srv, outcome, reason}."""
    test_env = embedded_dcc(state_dir, xsd_dir, production=False)
    client = PpClient(test_env)
    results: dict[str, dict[str, str | None]] = {}
    for user in PP_USERS:
        result: dict[str, str | None] = {"srv": None, "outcome": None, "reason": "no suitable entry-test request"}
        for item in _candidates(items, user.role)[:ATTEMPTS]:
            assert item.request is not None
            target = target_for(test_env, item)
            sent = client.send(item.request, user, target, retarget_body=item.request.request_id.target)
            result = {"srv": item.srv, "outcome": sent.outcome, "reason": sent.error}
            if sent.outcome == "I0":
                break
        production.entry_tests.record(user.role, f"entry-{user.role}", passed=result["outcome"] == "I0",
                                      completed_at=datetime.now(UTC).isoformat())
        results[user.role] = result
    return results
