"""Certificate-Based Key Establishment (SE Key Establishment cluster 0x0800) as a state machine.

The message flow, key derivation and key confirmation are here; the elliptic-curve work is a
pluggable :class:`CryptoBackend`:

* :class:`StubBackend` (CI only, **not secure**): "certificates" are the EUI padded to the
  suite's size and the shared secret is an AES-MMO hash over both sides' public data, so
  two stub parties agree and the flow, KDF and MACs can be tested end to end.
* a real backend needs ECQV implicit certificates and ECMQV on sect163k1 (suite 1) or
  sect283k1 (suite 2).  ``cryptography`` >= 47 has no binary curves, so on a bench use the
  NCP: an ECC-enabled EmberZNet image (Silicon Labs supplies the Certicom library on request)
  with the device's certificate and private key installed (``setPreinstalledCbkeData`` /
  ``savePreinstalledCbkeData283k1`` or manufacturing tokens), and drive its EZSP calls
  ``generateCbkeKeys283k1`` / ``calculateSmacs283k1`` / ``clearTemporaryDataMaybeStoreLinkKey283k1``
  from a backend implementing this protocol.  Test and production certificates come from
  different CAs; a bench must use certificates from the CA its meters trust.

Derivation (SE 1.2 §C.4.2): ``Z`` from ECMQV; ``MacKey ‖ KeyData = H(Z ‖ 00000001) ‖ H(Z ‖ 00000002)``
with ``H`` = AES-MMO; ``MACU = HMAC(MacKey, 02 ‖ U ‖ V ‖ QEU ‖ QEV)``,
``MACV = HMAC(MacKey, 03 ‖ V ‖ U ‖ QEV ‖ QEU)`` (U initiator, V responder EUIs, QE ephemeral keys);
KeyData becomes the APS link key.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Protocol

from emulator.han.install_codes import aes_mmo_hash

INITIATE = 0x00
EPHEMERAL_DATA = 0x01
CONFIRM_KEY = 0x02
TERMINATE = 0x03

SUITE_163K1 = 0x0001
SUITE_283K1 = 0x0002
CERT_SIZE = {SUITE_163K1: 48, SUITE_283K1: 74}
EPHEMERAL_SIZE = {SUITE_163K1: 22, SUITE_283K1: 37}

UNKNOWN_ISSUER, BAD_KEY_CONFIRM, BAD_MESSAGE, NO_RESOURCES, UNSUPPORTED_SUITE, INVALID_CERTIFICATE = range(1, 7)


class CryptoBackend(Protocol):
    """The ECC half of CBKE for one party."""

    suite: int

    def certificate(self) -> bytes: ...

    def subject(self, certificate: bytes) -> bytes: ...

    def ephemeral(self) -> bytes: ...

    def shared_secret(self, peer_certificate: bytes, peer_ephemeral: bytes, own_ephemeral: bytes) -> bytes: ...


def hmac_mmo(key: bytes, message: bytes) -> bytes:
    """HMAC with the AES-MMO hash (block 16)."""
    key = key if len(key) <= 16 else aes_mmo_hash(key)
    key = key.ljust(16, b"\x00")
    inner = aes_mmo_hash(bytes(b ^ 0x36 for b in key) + message)
    return aes_mmo_hash(bytes(b ^ 0x5C for b in key) + inner)


def derive(z: bytes) -> tuple[bytes, bytes]:
    """(MacKey, KeyData) from the shared secret."""
    return aes_mmo_hash(z + b"\x00\x00\x00\x01"), aes_mmo_hash(z + b"\x00\x00\x00\x02")


@dataclass
class StubBackend:
    """Insecure stand-in for CI: see the module text."""

    eui: bytes
    suite: int = SUITE_283K1
    _ephemeral: bytes = b""

    def certificate(self) -> bytes:
        return (b"STUB" + self.eui).ljust(CERT_SIZE[self.suite], b"\x00")

    def subject(self, certificate: bytes) -> bytes:
        if len(certificate) != CERT_SIZE[self.suite] or certificate[:4] != b"STUB":
            raise ValueError("not a stub certificate")
        return certificate[4:12]

    def ephemeral(self) -> bytes:
        self._ephemeral = os.urandom(EPHEMERAL_SIZE[self.suite])
        return self._ephemeral

    def shared_secret(self, peer_certificate: bytes, peer_ephemeral: bytes, own_ephemeral: bytes) -> bytes:
        parts = sorted([self.certificate() + own_ephemeral, peer_certificate + peer_ephemeral])
        return aes_mmo_hash(b"".join(parts))


@dataclass
class KeyEstablishment:
    """One party of one CBKE exchange; feed it the peer's commands, send what it returns.

    ``initiator=True`` is the joining device (KE client), False the Trust Centre (KE server).
    Each step returns ``(command id, payload)`` to send, or None.  ``state`` ends "done" (with
    ``link_key``) or "terminated" (with ``status``).
    """

    backend: CryptoBackend
    own_eui: bytes
    initiator: bool
    state: str = "idle"
    status: int = 0
    link_key: bytes | None = None
    peer_eui: bytes = b""
    _peer_cert: bytes = b""
    _own_eph: bytes = b""
    _peer_eph: bytes = b""
    _mac_key: bytes = b""
    _key_data: bytes = b""
    log: list[str] = field(default_factory=list)

    def _terminate(self, status: int) -> tuple[int, bytes]:
        self.state, self.status = "terminated", status
        self.log.append(f"terminate {status}")
        return TERMINATE, struct.pack("<BBH", status, 10, self.backend.suite)

    def _macs(self) -> tuple[bytes, bytes]:
        u, v = (self.own_eui, self.peer_eui) if self.initiator else (self.peer_eui, self.own_eui)
        qeu, qev = (self._own_eph, self._peer_eph) if self.initiator else (self._peer_eph, self._own_eph)
        return (hmac_mmo(self._mac_key, b"\x02" + u + v + qeu + qev),
                hmac_mmo(self._mac_key, b"\x03" + v + u + qev + qeu))

    def _agree(self) -> None:
        z = self.backend.shared_secret(self._peer_cert, self._peer_eph, self._own_eph)
        self._mac_key, self._key_data = derive(z)

    def start(self) -> tuple[int, bytes]:
        """The initiator's InitiateKeyEstablishmentRequest."""
        if not self.initiator:
            raise RuntimeError("only the initiator starts")
        self.state = "wait_initiate_response"
        return INITIATE, struct.pack("<HBB", self.backend.suite, 2, 2) + self.backend.certificate()

    def receive(self, command: int, payload: bytes) -> tuple[int, bytes] | None:
        """Handle one command from the peer (same command ids both directions)."""
        if command == TERMINATE:
            self.state, self.status = "terminated", payload[0] if payload else BAD_MESSAGE
            return None
        try:
            return self._step(command, payload)
        except (ValueError, struct.error):
            return self._terminate(BAD_MESSAGE)

    def _step(self, command: int, payload: bytes) -> tuple[int, bytes] | None:
        suite = self.backend.suite
        if command == INITIATE and self.state in ("idle", "wait_initiate_response"):
            peer_suite = struct.unpack_from("<H", payload)[0]
            if not peer_suite & suite:
                return self._terminate(UNSUPPORTED_SUITE)
            self._peer_cert = payload[4:]
            try:
                self.peer_eui = self.backend.subject(self._peer_cert)
            except ValueError:
                return self._terminate(INVALID_CERTIFICATE)
            if self.initiator:
                self.state = "wait_ephemeral_response"
                self._own_eph = self.backend.ephemeral()
                return EPHEMERAL_DATA, self._own_eph
            self.state = "wait_ephemeral"
            return INITIATE, struct.pack("<HBB", suite, 2, 2) + self.backend.certificate()
        if command == EPHEMERAL_DATA and self.state in ("wait_ephemeral", "wait_ephemeral_response"):
            if len(payload) != EPHEMERAL_SIZE[suite]:
                return self._terminate(BAD_MESSAGE)
            self._peer_eph = payload
            if self.initiator:
                self._agree()
                self.state = "wait_confirm_response"
                return CONFIRM_KEY, self._macs()[0]
            self._own_eph = self.backend.ephemeral()
            self._agree()
            self.state = "wait_confirm"
            return EPHEMERAL_DATA, self._own_eph
        if command == CONFIRM_KEY and self.state in ("wait_confirm", "wait_confirm_response"):
            macu, macv = self._macs()
            if payload != (macv if self.initiator else macu):
                return self._terminate(BAD_KEY_CONFIRM)
            self.state, self.link_key = "done", self._key_data
            return None if self.initiator else (CONFIRM_KEY, macv)
        return self._terminate(BAD_MESSAGE)
