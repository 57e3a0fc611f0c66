"""Key-store glue for the command line: verify parse results, secure messages being built."""

from __future__ import annotations

from typing import Any

from gbcs.crypto import KeystoreView, KeyUnavailable, secure_message, verify_message
from gbcs.dlms.axdr import decode_data
from gbcs.errors import DecodeError, EncodeError
from gbcs.framing import CRA_CODES, Frame
from gbcs.gbz import decode_zcl_payload
from gbcs.message import encode_payload, encrypted_elements, other_information_bytes
from gbcs.pointer import set_pointer

from .keys import Keystore

ACCESS_CONTROL_BROKER_ROLE = 4


class KeyProblem(ValueError):
    """A key problem the user must fix (no ACB, ambiguous ACB, missing key)."""


def choose_acb(store: Keystore, acb: str | None) -> bytes | None:
    """The ACB EUI: the one given, else the key store's only access-control-broker certificate."""
    if acb is not None:
        try:
            eui = bytes.fromhex(acb)
        except ValueError:
            raise KeyProblem(f"--acb {acb!r} is not 16 hex digits") from None
        if len(eui) != 8:
            raise KeyProblem(f"--acb {acb!r} is not an EUI-64 (16 hex digits)")
        return eui
    brokers = [eui for eui in store.euis() if store.role(eui) == ACCESS_CONTROL_BROKER_ROLE]
    if len(brokers) > 1:
        names = ", ".join(eui.hex().upper() for eui in brokers)
        raise KeyProblem(f"the key store holds several access control brokers ({names}); choose one with --acb")
    return brokers[0] if brokers else None


def _decode_plaintext(result: dict[str, Any], path: str, plaintext: bytes) -> Any:
    """A readable decode of a decrypted element (DLMS Data, or the ZCL payload of a GBZ component)."""
    try:
        if result["payload_type"] == "dlms":
            node, end = decode_data(plaintext, 0, len(plaintext))
            return node if end == len(plaintext) else None
        if result["payload_type"] == "gbz":
            index = int(path.split("/")[3])
            component = result["payload"]["components"][index]
            zcl = component["zcl"]
            return decode_zcl_payload(component["cluster"], zcl["frame_control"], zcl["command"], plaintext)
    except (DecodeError, KeyError, IndexError, ValueError, TypeError):
        return None
    return None


def verify_into(result: dict[str, Any], frame: Frame, view: KeystoreView, acb: bytes | None) -> None:
    """Fill ``signature_valid``, ``mac_valid`` and ``decrypted`` of a parse result."""
    elements = [(pointer[len("/payload"):], wire) for pointer, wire in
                encrypted_elements(result["payload_type"], result["payload"])]
    checked = verify_message(frame, elements, view, acb or b"")
    result["signature_valid"] = checked["signature_valid"]
    result["mac_valid"] = checked["mac_valid"]
    result["decrypted"] = checked["decrypted"]
    for item in result["decrypted"]:
        decoded = _decode_plaintext(result, item["path"], bytes.fromhex(item["plaintext"]))
        if decoded is not None:
            item["decoded"] = decoded
    if checked["decryption_failed"]:
        result["decryption_failed"] = checked["decryption_failed"]


def secure_tree(tree: dict[str, Any], view: KeystoreView, acb: bytes | None) -> bytes:
    """Encode a message tree, re-encrypting decrypted elements, signing (as the originator) and MACing."""
    if tree.get("cra") not in CRA_CODES:
        raise EncodeError("cra", "expected command, response or alert")
    plaintexts = []
    for item in tree.get("decrypted") or []:
        pointer = item.get("path", "")
        if not pointer.startswith("/payload/"):
            raise EncodeError("decrypted", f"path {pointer!r} does not point into the payload")
        plaintexts.append((pointer[len("/payload"):], bytes.fromhex(item["plaintext"])))

    def place(wires: dict[str, bytes]) -> bytes:
        for pointer, wire in wires.items():
            try:
                set_pointer(tree["payload"], pointer, wire.hex().upper())
            except (KeyError, IndexError, ValueError, TypeError):
                raise EncodeError(pointer, "no such element in the payload") from None
        return encode_payload(tree["payload_type"], tree["payload"])

    try:
        return secure_message(
            cra=CRA_CODES[tree["cra"]],
            counter=int(tree["counter"]),
            originator=bytes.fromhex(tree["originator"]),
            recipient=bytes.fromhex(tree["recipient"]),
            other_information=other_information_bytes(tree),
            content=encode_payload(tree.get("payload_type"), tree.get("payload")),
            keystore_view=view,
            acb_eui=acb or b"",
            date_time=bytes.fromhex(tree.get("date_time") or ""),
            signature_form=tree.get("signature_form", "null"),
            mac_header=bool(tree.get("mac_header")),
            plaintexts=plaintexts,
            encode_content=place,
        )
    except KeyUnavailable as exc:
        raise KeyProblem(f"missing key: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise EncodeError("message", str(exc)) from None
