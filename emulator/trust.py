"""Trust-anchor cells: the remote parties a device knows, by role (gbcs spec §2.8, requirements §9.5).

A cell is identified by (role, key usage, cell usage) and holds a party's EUI, public key and
subject key identifier: DS and KA cells per role, plus a supplier's prepayment KA cell
(``pp-ka``, cell usage prePaymentTopUp) for UTRNs.  Each role also has a sequence number
(CS02a reports it, CS02b must present a higher one and may set new floors).

Devices of one premises usually share one :class:`TrustAnchors` object: it is never changed
in place.  Credential updates build a new object (:meth:`TrustAnchors.replace_cell`,
:meth:`TrustAnchors.with_seq`) that the device then uses alone; the key objects of the
unchanged cells stay shared, so the ECDH cache still recognises them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from smetsim.keys import Keystore

ROLE_NAMES = {
    0: "root", 1: "recovery", 2: "supplier", 3: "networkOperator", 4: "accessControlBroker",
    5: "transitionalCoS", 6: "wanProvider", 7: "issuingAuthority", 8: "loadController", 127: "other",
}
ROLE_SUPPLIER = 2
ROLE_ACB = 4
USAGES = ("ds", "ka", "pp-ka")  # digitalSignature, keyAgreement, keyAgreement + prePaymentTopUp


def key_identifier(key: ec.EllipticCurvePublicKey) -> bytes:
    """An 8-byte key identifier for a key whose certificate is not known (SHA-256 of the point)."""
    point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return hashlib.sha256(point).digest()[:8]


def certificate_ski(cert: x509.Certificate) -> bytes:
    """The certificate's subject key identifier, else one computed from its key."""
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        key = cert.public_key()
        return key_identifier(key) if isinstance(key, ec.EllipticCurvePublicKey) else b""


@dataclass(frozen=True, slots=True)
class Anchor:
    """One remote party as a device trusts it: its cells' keys and subject key identifiers."""

    role: int
    eui: bytes
    ds: ec.EllipticCurvePublicKey | None = None
    ka: ec.EllipticCurvePublicKey | None = None
    pp_ka: ec.EllipticCurvePublicKey | None = None
    ds_ski: bytes | None = None
    ka_ski: bytes | None = None
    pp_ka_ski: bytes | None = None

    def key(self, usage: str) -> ec.EllipticCurvePublicKey | None:
        return getattr(self, usage.replace("-", "_"))

    def ski(self, usage: str) -> bytes | None:
        """The cell's subject key identifier (computed from the key when no certificate gave one)."""
        ski = getattr(self, usage.replace("-", "_") + "_ski")
        if ski is None:
            key = self.key(usage)
            ski = key_identifier(key) if key is not None else None
        return ski

    def usages(self) -> list[str]:
        """The cells this party fills, in the order DS, KA, prepayment KA."""
        return [usage for usage in USAGES if self.key(usage) is not None]

    def with_cell(self, usage: str, eui: bytes, key: ec.EllipticCurvePublicKey, ski: bytes | None) -> Anchor:
        field = usage.replace("-", "_")
        return replace(self, eui=bytes(eui), **{field: key, field + "_ski": ski})


class TrustAnchors:
    """Anchors by role (one party per role) and by EUI, and the sequence number of each role."""

    __slots__ = ("by_role", "by_eui", "seq")

    def __init__(self, anchors: Iterable[Anchor] = (), seq: Mapping[int, int] | None = None) -> None:
        self.by_role: dict[int, Anchor] = {}
        for anchor in anchors:
            self.by_role[anchor.role] = anchor
        self.by_eui: dict[bytes, Anchor] = {a.eui: a for a in self.by_role.values()}
        self.seq: dict[int, int] = dict(seq or {})

    def replace(self, anchor: Anchor) -> TrustAnchors:
        """A copy with the cells of ``anchor.role`` replaced (credential updates)."""
        return TrustAnchors([*(a for r, a in self.by_role.items() if r != anchor.role), anchor], self.seq)

    def replace_cell(self, role: int, usage: str, eui: bytes, key: ec.EllipticCurvePublicKey,
                     ski: bytes | None = None) -> TrustAnchors:
        """A copy with one cell of ``role`` holding a new party's key (the role's other cells are kept)."""
        current = self.by_role.get(role) or Anchor(role, bytes(eui))
        return self.replace(current.with_cell(usage, eui, key, ski))

    def with_seq(self, changes: Mapping[int, int]) -> TrustAnchors:
        """A copy with new sequence numbers for some roles."""
        return TrustAnchors(self.by_role.values(), {**self.seq, **changes})

    def seq_of(self, role: int) -> int:
        return self.seq.get(role, 0)

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
            skis = {}
            for usage in USAGES:
                cert = store.certificate(eui, usage)
                skis[usage] = certificate_ski(cert) if cert is not None else None
            anchors.append(Anchor(role, eui, store.public_key(eui, "ds"), store.public_key(eui, "ka"),
                                  store.public_key(eui, "pp-ka"), skis["ds"], skis["ka"], skis["pp-ka"]))
        return cls(anchors)
