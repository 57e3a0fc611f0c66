"""Device-side GBCS security (gbcs spec §1.6, §2.2-§2.7): checking commands, securing responses and alerts.

Incoming commands, in this order:

1. a command (CRA 1) addressed to this device, else it is not for us;
2. the MAC: ECDH of the device's KA private key with the ACB's KA public key (a HAN
   device's own KA key for device-originated commands), the KDF naming the *business*
   originator; a command without a MAC header must carry a valid signature instead;
3. the signature, when present: ECDSA with the originator's DS key from its trust-anchor
   cell; a use case that is always critical needs one;
4. the originator's role against the use case's roles (catalogue);
5. the originator counter: strictly greater than the last one accepted from that originator.

Responses copy the command's counter and other-information (less an SRP certificate, plus
the device's counter for unknown-remote-party use cases), are signed and not MAC'd for
critical commands (and CS02b ACB-by-ACB), MAC'd otherwise, and encrypt sensitive elements
to the supplementary remote party when there is one.  Alerts use the device's own counter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from gbcs.crypto import KeystoreView, check_mac, check_signature, secure_message
from gbcs.framing import Frame
from gbcs.other_information import OtherInformation, encode_other_information, parse_other_information

from .catalogue import UseCase, use_case
from .identity import DeviceKeys
from .trust import TrustAnchors

CRA_COMMAND, CRA_RESPONSE, CRA_ALERT = 1, 2, 3
SIGNED_RESPONSE_CODES = frozenset({0x0104})  # CS02b accessControlBrokerByACB: unsigned command, signed response

# rejection reasons (each maps to a profile's security alert, see profiles.DEFAULT_SECURITY_ALERTS)
AUTHENTICATION = "authentication"
AUTHORITY = "authority"
REPLAY = "replay"
MALFORMED = "malformed"
NOT_FOR_US = "not-for-us"


class Rejected(Exception):
    """A command the device refuses: ``reason`` is one of the constants above."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class HanPeer:
    """A device joined to this one on the HAN (e.g. a PPMID sending PCS commands to a GSME)."""

    kind: str
    ka: ec.EllipticCurvePublicKey | None = None
    ds: ec.EllipticCurvePublicKey | None = None


@dataclass(slots=True)
class Incoming:
    """A command that passed every check."""

    frame: Frame
    use_case: UseCase | None
    role: int | None  # None for a HAN device
    critical: bool  # carried a valid signature
    other: OtherInformation
    srp_ka: ec.EllipticCurvePublicKey | None = None  # the unknown remote party's KA key, from its certificate

    @property
    def code(self) -> int:
        return self.frame.message_code

    @property
    def counter(self) -> int:
        return self.frame.counter

    @property
    def originator(self) -> bytes:
        return self.frame.originator


class DeviceSecurity:
    """One device's keys, trust anchors, HAN peers and counters; the checks and the protections."""

    __slots__ = ("eui", "keys", "anchors", "han_peers", "counters", "own_counter", "_view", "_own_public")

    def __init__(self, eui: bytes, keys: DeviceKeys, anchors: TrustAnchors, first_counter: int = 1) -> None:
        self.eui = bytes(eui)
        self.keys = keys
        self.anchors = anchors
        self.han_peers: dict[bytes, HanPeer] = {}
        self.counters: dict[bytes, int] = {}  # last accepted originator counter, per originator
        self.own_counter = first_counter - 1
        self._view: KeystoreView | None = None
        self._own_public: dict[str, ec.EllipticCurvePublicKey] = {}

    # ------------------------------------------------------------------ key lookups (gbcs.crypto view)

    @property
    def view(self) -> KeystoreView:
        """Lookups for :mod:`gbcs.crypto`: own private keys, anchors' and HAN peers' public keys."""
        if self._view is None:
            self._view = KeystoreView(
                ds_public=self._ds_public, ds_private=self._ds_private, ka_public=self._ka_public,
                ka_private=self._ka_private, pp_ka_public=self._pp_ka_public, is_device=self._is_device,
            )
        return self._view

    def _public(self, eui: bytes, usage: str) -> ec.EllipticCurvePublicKey | None:
        """The ``usage`` ("ds" or "ka") public key of this device, a trust anchor or a HAN peer."""
        if eui == self.eui:
            own = self._own_public.get(usage)
            if own is None:
                own = self._own_public[usage] = getattr(self.keys, usage).public_key()
            return own
        holder = self.anchors.by_eui.get(eui) or self.han_peers.get(eui)
        return getattr(holder, usage) if holder is not None else None

    def _ds_public(self, eui: bytes) -> ec.EllipticCurvePublicKey | None:
        return self._public(eui, "ds")

    def _ds_private(self, eui: bytes) -> ec.EllipticCurvePrivateKey | None:
        return self.keys.ds if eui == self.eui else None

    def _ka_public(self, eui: bytes) -> ec.EllipticCurvePublicKey | None:
        return self._public(eui, "ka")

    def _ka_private(self, eui: bytes) -> ec.EllipticCurvePrivateKey | None:
        return self.keys.ka if eui == self.eui else None

    def _pp_ka_public(self, eui: bytes) -> ec.EllipticCurvePublicKey | None:
        anchor = self.anchors.by_eui.get(eui)
        return anchor.pp_ka if anchor else None

    def _is_device(self, eui: bytes) -> bool:
        return eui == self.eui or eui in self.han_peers

    def set_keys(self, keys: DeviceKeys) -> None:
        """Replace the device's own keys (new key pair and certificate, CS02c / CS02d)."""
        self.keys = keys
        self._own_public.clear()

    def set_anchors(self, anchors: TrustAnchors) -> None:
        """Replace the trust anchors (credential updates); counters of replaced parties are kept."""
        self.anchors = anchors

    # ------------------------------------------------------------------ incoming

    def authenticate(self, frame: Frame) -> Incoming:
        """Run the checks of the module docstring; raises :class:`Rejected` on the first that fails."""
        if frame.cra != CRA_COMMAND:
            raise Rejected(NOT_FOR_US, f"CRA {frame.cra} is not a command")
        if frame.recipient != self.eui:
            raise Rejected(NOT_FOR_US, f"addressed to {frame.recipient.hex().upper()}")
        originator = frame.originator
        peer = self.han_peers.get(originator)
        anchor = self.anchors.by_eui.get(originator)
        if frame.mac is not None:
            if frame.security_control != 0x11 or frame.invocation_counter:
                raise Rejected(AUTHENTICATION, "MAC header security control is not 0x11 with IC 0")
            if check_mac(frame, self.view, self.anchors.acb or b"") is not True:
                raise Rejected(AUTHENTICATION, "MAC does not verify")
        elif not frame.signature:
            raise Rejected(AUTHENTICATION, "neither a MAC nor a signature")
        critical = False
        if frame.signature:
            if check_signature(frame, self.view) is not True:
                raise Rejected(AUTHENTICATION, "signature does not verify against the originator's trust anchor")
            critical = True
        try:
            other = parse_other_information(frame.other_information)
        except ValueError as exc:
            raise Rejected(MALFORMED, f"other-information: {exc}") from None
        row = use_case(frame.message_code)
        role = anchor.role if anchor is not None else None
        if row is not None:
            if row.critical == "always" and not critical:
                raise Rejected(AUTHENTICATION, f"{row.use_case} is critical and the command is not signed")
            if row.han:
                if peer is None:
                    raise Rejected(AUTHORITY, f"{row.use_case} comes from a joined HAN device only")
            elif not row.allows_role(role):
                raise Rejected(AUTHORITY, f"role {role} may not originate {row.use_case}")
        elif anchor is None and peer is None:
            raise Rejected(AUTHORITY, f"unknown originator {originator.hex().upper()}")
        last = self.counters.get(originator)
        if last is not None and frame.counter <= last:
            raise Rejected(REPLAY, f"counter {frame.counter} is not above {last}")
        srp_ka = None
        if other.certificate:
            try:
                key = x509.load_der_x509_certificate(other.certificate).public_key()
            except ValueError as exc:
                raise Rejected(MALFORMED, f"supplementary remote party certificate: {exc}") from None
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise Rejected(MALFORMED, "supplementary remote party certificate has no EC key")
            srp_ka = key
        self.counters[originator] = frame.counter
        return Incoming(frame, row, role, critical, other, srp_ka)

    # ------------------------------------------------------------------ outgoing

    def next_counter(self) -> int:
        """The device's next own originator counter (alerts, supplementary originator counters)."""
        self.own_counter += 1
        return self.own_counter

    def response_other_information(self, incoming: Incoming) -> bytes:
        """The command's other-information without a certificate; URP use cases add the device's counter."""
        other = incoming.other
        if other.supplementary_remote_party is None:
            return other.message_code.to_bytes(2, "big")
        supp = other.supplementary_originator_counter
        row = incoming.use_case
        if row is not None and row.supplementary_originator_counter and other.certificate:
            supp = self.next_counter()
        return encode_other_information(OtherInformation(
            other.message_code, other.supplementary_remote_party, other.supplementary_remote_party_counter, supp,
        ))

    def secure_response(
        self,
        incoming: Incoming,
        content: bytes,
        *,
        date_time: bytes = b"",
        plaintexts: Sequence[tuple[str, bytes]] = (),
        encode_content: Callable[[Mapping[str, bytes]], bytes] | None = None,
    ) -> bytes:
        """The response to ``incoming`` (raises gbcs KeyUnavailable without the recipient's KA key)."""
        frame = incoming.frame
        signed = incoming.critical or frame.message_code in SIGNED_RESPONSE_CODES
        view = self.view
        srp = incoming.other.supplementary_remote_party
        if srp is not None and incoming.srp_ka is not None:
            view = view.with_ka_public(srp, incoming.srp_ka)
        return secure_message(
            cra=CRA_RESPONSE, counter=frame.counter, originator=self.eui, recipient=frame.originator,
            other_information=self.response_other_information(incoming), content=content,
            keystore_view=view, acb_eui=self.anchors.acb or b"", date_time=date_time,
            signature_form="present" if signed else "null", mac_header=not signed,
            plaintexts=plaintexts, encode_content=encode_content,
        )

    def secure_alert(
        self,
        recipient: bytes,
        counter: int,
        other_information: bytes,
        content: bytes,
        *,
        critical: bool,
        plaintexts: Sequence[tuple[str, bytes]] = (),
        encode_content: Callable[[Mapping[str, bytes]], bytes] | None = None,
    ) -> bytes:
        """An alert: signed (DF) when critical, MAC'd otherwise (gbcs spec §1.6)."""
        return secure_message(
            cra=CRA_ALERT, counter=counter, originator=self.eui, recipient=recipient,
            other_information=other_information, content=content, keystore_view=self.view,
            acb_eui=self.anchors.acb or b"", signature_form="present" if critical else "null",
            mac_header=not critical, plaintexts=plaintexts, encode_content=encode_content,
        )
