"""SEC Section P: the PP Function's own identities: per-role PP DCC ID, Party Signifier and RDP Signifiers.

PP never uses a User ID: every originator it sends under must be the PP DCC ID registered for that role,
inside the PP range and not any known User ID.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .catalogue import UserRole
from .eui import EuiLike, EuiRange, eui_int, eui_str
from .exclusions import Refusal
from .pp_ids import IdSource, as_ranges
from .registration import Fuel, is_pp_party_id


class ProvingIdentityError(ValueError):
    """The PP identities are misconfigured."""


@dataclass(frozen=True, slots=True)
class ProvingParty:
    """The PP Function acting in one User Role."""

    role: UserRole
    dcc_id: str  # EUI-64 from the PP range, used as business originator
    party_signifier: str  # PP namespace (see proving.registration)


class ProvingParties:
    """The PP identities per role, validated once; answers "may PP send as this originator?"."""

    def __init__(
        self,
        pp_range: EuiRange,
        parties: Iterable[ProvingParty],
        rdp_signifiers: Mapping[Fuel | str, str],
        *,
        user_ids: IdSource = (),
    ) -> None:
        self.pp_range = pp_range
        self._by_role: dict[UserRole, ProvingParty] = {}
        for party in parties:
            self._add(party)
        self.rdp_signifiers = {Fuel(f): s for f, s in rdp_signifiers.items()}
        for fuel, signifier in self.rdp_signifiers.items():
            if not is_pp_party_id(signifier):
                raise ProvingIdentityError(f"RDP Signifier {signifier!r} ({fuel}) is not in the PP namespace")
        self._user_ids = as_ranges(user_ids)
        for party in self._by_role.values():
            if self._is_user_id(party.dcc_id):
                raise ProvingIdentityError(f"PP ID {party.dcc_id} ({party.role}) is a User ID")

    def _add(self, party: ProvingParty) -> None:
        role = UserRole(party.role)
        if role in self._by_role:
            raise ProvingIdentityError(f"two PP parties for role {role}")
        if party.dcc_id not in self.pp_range:
            raise ProvingIdentityError(f"PP ID {party.dcc_id} ({role}) is outside the PP range {self.pp_range}")
        if any(eui_int(p.dcc_id) == eui_int(party.dcc_id) for p in self._by_role.values()):
            raise ProvingIdentityError(f"PP ID {party.dcc_id} is used for two roles")
        if not is_pp_party_id(party.party_signifier):
            raise ProvingIdentityError(f"Party Signifier {party.party_signifier!r} ({role}) is not in the PP namespace")
        self._by_role[role] = ProvingParty(role, eui_str(party.dcc_id), party.party_signifier)

    def _is_user_id(self, eui: EuiLike) -> bool:
        n = eui_int(eui)
        return any(n in ids for ids in self._user_ids)

    @property
    def roles(self) -> frozenset[UserRole]:
        """The roles PP has an identity for."""
        return frozenset(self._by_role)

    def party(self, role: UserRole | str) -> ProvingParty:
        """The PP identity for ``role``; KeyError when PP has none."""
        return self._by_role[UserRole(role)]

    def originator(self, role: UserRole | str) -> str:
        """The business originator ID PP must use in ``role``."""
        return self.party(role).dcc_id

    def check_originator(self, eui: EuiLike, role: UserRole | str, srv: str = "") -> Refusal | None:
        """Refuse a User ID, a non-PP ID or another role's PP ID as PP originator; None when allowed."""
        try:
            text = eui_str(eui)
        except ValueError:
            return Refusal(srv, "pp-identity", f"originator {eui!r} is not an EUI-64")
        if self._is_user_id(text):
            return Refusal(srv, "pp-identity", f"originator {text} is a User ID: PP never uses User IDs")
        if text not in self.pp_range:
            return Refusal(srv, "pp-identity", f"originator {text} is outside the PP range {self.pp_range}")
        try:
            party = self._by_role.get(UserRole(role))
        except ValueError:
            party = None
        if party is None:
            return Refusal(srv, "pp-identity", f"PP has no identity in role {role}")
        if party.dcc_id != text:
            return Refusal(srv, "pp-identity", f"originator {text} is not the PP ID for role {role} ({party.dcc_id})")
        return None
