"""A minimal head end for tests and benches: remote parties with private keys that command emulated devices.

:class:`RemoteParties` generates one party per role (supplier, network operator, ACB ...),
gives devices the matching trust anchors, and builds GBCS commands exactly as the DCC would
deliver them: signed by the business originator when critical, MAC'd by the ACB for the
recipient device's KA key.  :func:`access_request` builds DLMS access-request payloads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from gbcs.crypto import KeystoreView, secure_message, verify_message
from gbcs.crypto.bulk import payload_encrypted_elements
from gbcs.dlms import encode_dlms
from gbcs.dlms.cosem import format_obis
from gbcs.framing import parse_frame

from .device import Device
from .trust import Anchor, TrustAnchors

ROLE_EUIS = {
    1: bytes.fromhex("90B3D51F3F000001"), 2: bytes.fromhex("90B3D51F3F010000"), 3: bytes.fromhex("90B3D51F3F020000"),
    4: bytes.fromhex("90B3D51F3F000002"), 5: bytes.fromhex("90B3D51F3F000004"), 6: bytes.fromhex("90B3D51F3F000007"),
    8: bytes.fromhex("90B3D51F3F010008"),
}
_CURVE = ec.SECP256R1()


class RemoteParties:
    """One remote party per role, with DS and KA private keys."""

    def __init__(self, roles: Iterable[int] = (1, 2, 3, 4, 5, 6, 8)) -> None:
        self.eui: dict[int, bytes] = {}
        self.ds: dict[int, ec.EllipticCurvePrivateKey] = {}
        self.ka: dict[int, ec.EllipticCurvePrivateKey] = {}
        for role in roles:
            self.eui[role] = ROLE_EUIS[role]
            self.ds[role] = ec.generate_private_key(_CURVE)
            self.ka[role] = ec.generate_private_key(_CURVE)
        self.anchors = TrustAnchors(
            Anchor(role, self.eui[role], self.ds[role].public_key(), self.ka[role].public_key()) for role in self.eui
        )
        self._views: dict[bytes, tuple[object, KeystoreView]] = {}

    @property
    def acb(self) -> bytes:
        return self.eui[4]

    def view(self, device: Device) -> KeystoreView:
        """The parties' private keys plus the device's public keys (cached per device)."""
        keys = device.security.keys
        cached = self._views.get(device.eui)
        if cached is not None and cached[0] is keys:
            return cached[1]
        view = KeystoreView.from_keys(
            ds={**{self.eui[r]: k for r, k in self.ds.items()}, device.eui: keys.ds.public_key()},
            ka={**{self.eui[r]: k for r, k in self.ka.items()}, device.eui: keys.ka.public_key()},
            devices={device.eui},
        )
        self._views[device.eui] = (keys, view)
        return view

    def command(
        self,
        device: Device,
        message_code: int,
        content: bytes,
        counter: int,
        *,
        role: int = 2,
        signed: bool = False,
        originator: bytes | None = None,
        other_information: bytes | None = None,
        mac_header: bool = True,
    ) -> bytes:
        """A command from the party of ``role`` (or ``originator``), as delivered to the device."""
        return secure_message(
            cra=1, counter=counter, originator=originator or self.eui[role], recipient=device.eui,
            other_information=other_information or message_code.to_bytes(2, "big"), content=content,
            keystore_view=self.view(device), acb_eui=self.acb,
            signature_form="present" if signed else "null", mac_header=mac_header,
        )

    def check(self, device: Device, message: bytes) -> dict[str, Any]:
        """Verify a device's response or alert (signature, MAC, decryption) with the parties' keys."""
        frame = parse_frame(message)
        return verify_message(frame, payload_encrypted_elements(frame), self.view(device), self.acb)


def access_request(counter: int, instructions: Sequence[tuple[Any, ...]]) -> bytes:
    """A DLMS access-request: instructions are (kind, class id, OBIS bytes, member, data node[, selector, params])."""
    requests, data = [], []
    for item in instructions:
        kind, class_id, obis, member, value = item[:5]
        spec: dict[str, Any] = {"kind": kind, "class_id": class_id, "obis": format_obis(obis),
                                ("method" if kind == "action" else "attribute"): member}
        if kind in ("get-with-selection", "set-with-selection"):
            spec["selector"], spec["selector_parameters"] = item[5], item[6]
        requests.append(spec)
        data.append(value)
    return encode_dlms({"apdu": "access-request", "invoke_id": 0x20000000 | (counter & 0xFFFFFF),
                        "date_time": None, "requests": requests, "data": data})
