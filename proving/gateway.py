"""The DCC's GBCS side: framing transformed payloads as commands, the pre-command flow, counters.

* A non-critical Service Request becomes a command with a null signature, MAC'd by the
  Access Control Broker for the recipient device (gbcs spec §1.7).
* A critical one becomes a **pre-command** (a bare general-signing APDU with a null
  signature, as DUIS says) that the User signs with its GBCS DS key; the signed pre-command comes back
  (DUIS command variants 5-7) and the ACB adds the MAC header and MAC.
* Each originator's counter strictly increases; the DCC hands out the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gbcs.crypto import KeystoreView, rebuild_command_from_precommand, secure_message
from gbcs.framing import GENERAL_SIGNING_TAG, parse_frame

from .transform import Transformed

CRA_COMMAND = 1


class GatewayError(ValueError):
    """A pre-command or signature the DCC cannot turn into a command."""


@dataclass(slots=True)
class CounterBook:
    """The next originator counter per business originator (strictly increasing, never reused)."""

    start: int = 1000
    _next: dict[bytes, int] = field(default_factory=dict)

    def take(self, originator: bytes) -> int:
        counter = self._next.get(originator, self.start)
        self._next[originator] = counter + 1
        return counter

    def observe(self, originator: bytes, counter: int) -> None:
        """Record a counter the User chose (request ids), so later ones stay above it."""
        if counter + 1 > self._next.get(originator, self.start):
            self._next[originator] = counter + 1


@dataclass(slots=True)
class DccGateway:
    """Turns payloads into commands with the ACB's keys (``view`` holds its KA private key and device keys)."""

    view: KeystoreView
    acb: bytes
    counters: CounterBook = field(default_factory=CounterBook)

    def _other_information(self, transformed: Transformed) -> bytes:
        return transformed.other_information or transformed.message_code.to_bytes(2, "big")

    def command(self, transformed: Transformed, *, counter: int, originator: bytes, recipient: bytes) -> bytes:
        """A non-critical command, ready for the device: null signature, ACB MAC."""
        return secure_message(cra=CRA_COMMAND, counter=counter, originator=originator, recipient=recipient,
                              other_information=self._other_information(transformed),
                              content=transformed.payload, keystore_view=self.view, acb_eui=self.acb,
                              signature_form="null", mac_header=True)

    def signed_command(self, transformed: Transformed, *, counter: int, originator: bytes,
                       recipient: bytes) -> bytes:
        """A command the DCC originates and signs itself (as ACB), with the ACB MAC."""
        return secure_message(cra=CRA_COMMAND, counter=counter, originator=originator, recipient=recipient,
                              other_information=self._other_information(transformed),
                              content=transformed.payload, keystore_view=self.view, acb_eui=self.acb,
                              signature_form="present", mac_header=True)

    def precommand(self, transformed: Transformed, *, counter: int, originator: bytes, recipient: bytes) -> bytes:
        """A critical command's pre-command: what the User signs (null signature, as DUIS says; no MAC)."""
        return secure_message(cra=CRA_COMMAND, counter=counter, originator=originator, recipient=recipient,
                              other_information=self._other_information(transformed),
                              content=transformed.payload, keystore_view=self.view, acb_eui=self.acb,
                              signature_form="null", mac_header=False)

    def from_signed_precommand(self, signed: bytes) -> bytes:
        """The command for a signed pre-command (pre-command ‖ 40 ‖ r‖s): the ACB MACs it."""
        if not signed or signed[0] != GENERAL_SIGNING_TAG:
            raise GatewayError("a signed pre-command is a general-signing APDU (starts DF)")
        try:
            frame = parse_frame(signed)
        except ValueError as exc:
            raise GatewayError(f"signed pre-command: {exc}") from None
        if not frame.signature or len(frame.signature) != 64:
            raise GatewayError("the pre-command carries no 64-byte signature")
        unsigned = signed[: len(signed) - 65]
        try:
            return rebuild_command_from_precommand(unsigned, frame.signature, self.view, self.acb)
        except (ValueError, LookupError) as exc:
            raise GatewayError(f"cannot MAC the signed pre-command: {exc}") from None
