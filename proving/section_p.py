"""SEC Section P (Production Proving): one gate combining the rules, each kept in its own module.

* excluded requests (6.15 all variants, 6.21, 6.23): :mod:`proving.exclusions`
* PP DCC IDs from their own EUI-64 range, disjoint from other IDs: :mod:`proving.pp_ids`
* PP Party and RDP Signifiers, never a User ID: :mod:`proving.parties`
* dummy Registration Data outside real ranges: :mod:`proving.registration`
* entry-test gating per role: :mod:`proving.entry_tests`
"""

from __future__ import annotations

from .catalogue import UserRole, catalogue, eligible
from .entry_tests import EntryTestRegister
from .eui import EuiLike
from .exclusions import Refusal, RefusedRequest, exclusion
from .parties import ProvingParties
from .pp_ids import IdSource, check_pp_range

__all__ = ["SectionP", "Refusal", "RefusedRequest"]


class SectionP:
    """The Section P gate for PP requests; the ID namespace is checked once, at construction (start-up)."""

    def __init__(
        self,
        parties: ProvingParties,
        entry_tests: EntryTestRegister,
        *,
        dcc_ids: IdSource = (),
        user_ids: IdSource = (),
        device_ids: IdSource = (),
    ) -> None:
        check_pp_range(parties.pp_range, dcc_ids=dcc_ids, user_ids=user_ids, device_ids=device_ids)
        self.parties = parties
        self.entry_tests = entry_tests

    def check(self, originator: EuiLike, role: UserRole | str, srv: str) -> Refusal | None:
        """The first rule the request breaks, or None when PP may send it."""
        refusal = exclusion(srv)
        if refusal is not None:
            return refusal
        if srv not in catalogue():
            return Refusal(srv, "unknown-srv", f"{srv} is not a DUIS Service Reference Variant")
        if not eligible(srv, role):
            return Refusal(srv, "role", f"role {role} is not eligible for SRV {srv}")
        refusal = self.parties.check_originator(originator, role, srv)
        if refusal is not None:
            return refusal
        return self.entry_tests.gate(role, srv)

    def ensure(self, originator: EuiLike, role: UserRole | str, srv: str) -> None:
        """Raise :class:`RefusedRequest` when :meth:`check` refuses the request."""
        refusal = self.check(originator, role, srv)
        if refusal is not None:
            raise RefusedRequest(refusal)
