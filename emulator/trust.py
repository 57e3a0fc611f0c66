"""Trust-anchor cells: the remote parties a device knows, by role (gbcs spec §2.8, requirements §9.5).

A cell holds a party's EUI and its DS and KA public keys (and a supplier's prepayment KA
key for UTRNs).  Devices of one premises usually share one :class:`TrustAnchors` object
(it is read-only), so the key objects are shared too and the ECDH cache recognises them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from smetsim.keys import Keystore

ROLE_NAMES = {
    0: "root", 1: "recovery", 2: "supplier", 3: "networkOperator", 4: "accessControlBroker",
    5: "transitionalCoS", 6: "wanProvider", 7: "issuingAuthority", 8: "loadController", 127: "other",
}
ROLE_SUPPLIER = 2
ROLE_ACB = 4


@dataclass(frozen=True, slots=True)
class Anchor:
    """One remote party as a device trusts it."""

    role: int
    eui: bytes
    ds: ec.EllipticCurvePublicKey | None = None
    ka: ec.EllipticCurvePublicKey | None = None
    pp_ka: ec.EllipticCurvePublicKey | None = None


class TrustAnchors:
    """Anchors by role (one party per role) and by EUI."""

    __slots__ = ("by_role", "by_eui")

    def __init__(self, anchors: Iterable[Anchor] = ()) -> None:
        self.by_role: dict[int, Anchor] = {}
        self.by_eui: dict[bytes, Anchor] = {}
        for anchor in anchors:
            self.by_role[anchor.role] = anchor
        self.by_eui = {a.eui: a for a in self.by_role.values()}

    def replace(self, anchor: Anchor) -> TrustAnchors:
        """A copy with the cell of ``anchor.role`` replaced (credential updates)."""
        return TrustAnchors([*(a for r, a in self.by_role.items() if r != anchor.role), anchor])

    def role_of(self, eui: bytes) -> int | None:
        anchor = self.by_eui.get(eui)
        return anchor.role if anchor else None

    @property
    def acb(self) -> bytes | None:
        """The Access Control Broker's EUI (it MACs remote-party commands)."""
        anchor = self.by_role.get(ROLE_ACB)
        return anchor.eui if anchor else None

    @property
    def supplier(self) -> bytes | None:
        anchor = self.by_role.get(ROLE_SUPPLIER)
        return anchor.eui if anchor else None

    @classmethod
    def from_keystore(cls, store: Keystore, choose: Mapping[int, bytes] | None = None) -> TrustAnchors:
        """Seed the cells from the remote parties' certificates in a key store.

        One party per role: ``choose`` (role -> EUI) when given, else the lowest EUI that
        holds a certificate of that role.  Parties without a role (devices) are skipped.
        """
        candidates: dict[int, list[bytes]] = {}
        for eui in store.euis():
            role = store.role(eui)
            if role is not None and not store.is_device(eui):
                candidates.setdefault(role, []).append(eui)
        anchors = []
        for role, euis in sorted(candidates.items()):
            eui = (choose or {}).get(role, min(euis))
            anchors.append(Anchor(role, eui, store.public_key(eui, "ds"), store.public_key(eui, "ka"),
                                  store.public_key(eui, "pp-ka")))
        return cls(anchors)
