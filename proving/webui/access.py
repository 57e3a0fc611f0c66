"""What an account may see: its own requests, the responses and alerts addressed to it, its devices.

The DCC operator sees everything.  Any other account sees audit records it originated or that
are addressed to it (responses and alerts carry the User as target), and the premises devices
of its fuel: electricity devices for IS/ED/ES, gas devices for GS/GT, both for OU; a User
outside the PP set-up sees the devices it is given explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping

from proving.audit import AuditRecord
from proving.embedded import EmbeddedDcc
from proving.eui import eui_str
from proving.identities import PP_USERS

from .auth import Account

FUELS_OF_ROLE = {"IS": {"electricity"}, "ED": {"electricity"}, "ES": {"electricity"}, "GS": {"gas"},
                 "GT": {"gas"}, "OU": {"electricity", "gas"}}
PP_ROLE = {eui_str(u.eui): u.role for u in PP_USERS}


class Access:
    """Visibility checks for one embedded DCC (see the module text)."""

    def __init__(self, dcc: EmbeddedDcc, user_devices: Mapping[str, set[str]] | None = None) -> None:
        self.dcc = dcc
        self.user_devices = {eui_str(k): {eui_str(d) for d in v} for k, v in (user_devices or {}).items()}

    def role(self, account: Account) -> str | None:
        """The DUIS User Role of the account's User ID, when the front end knows it."""
        if account.eui is None:
            return None
        return self.dcc.frontend.users.roles.get(bytes.fromhex(account.eui.replace("-", "")))

    def devices(self, account: Account) -> list[str]:
        """EUIs (hyphenated) of the premises devices the account sees, in premises order."""
        every = [(eui_str(eui), entry.fuel) for eui, entry in self.dcc.premises.devices.items()]
        if account.is_operator:
            return [eui for eui, _ in every]
        if account.is_pp and account.eui in PP_ROLE:
            fuels = FUELS_OF_ROLE.get(PP_ROLE[account.eui], set())
            return [eui for eui, fuel in every if fuel in fuels]
        own = self.user_devices.get(account.eui or "", set())
        return [eui for eui, _ in every if eui in own]

    def sees_device(self, account: Account, eui: str) -> bool:
        return eui in self.devices(account)

    def sees_record(self, account: Account, record: AuditRecord) -> bool:
        if account.is_operator:
            return True
        return account.eui is not None and account.eui in (record.originator, record.target)

    def visible(self, account: Account, records: list[AuditRecord]) -> list[AuditRecord]:
        return [r for r in records if self.sees_record(account, r)]

    def owns_request(self, account: Account, request_id: str) -> bool:
        """True when the RequestID's originator is the account (operator: always)."""
        return account.is_operator or (account.eui is not None and request_id.upper().startswith(account.eui + ":"))
