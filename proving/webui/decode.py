"""The decoded view of an audit entry: ``smetsim parse``'s annotated tree of its GBCS frame, and its DUIS XML."""

from __future__ import annotations

import json
from typing import Any

from lxml import etree

from gbcs.framing import parse_frame
from gbcs.message import decode_message
from proving.identities import ACB
from smetsim.keys import Keystore
from smetsim.render import render_result
from smetsim.security import verify_into


def _json_default(value: Any) -> Any:
    return bytes(value).hex().upper() if isinstance(value, bytes | bytearray) else str(value)


def gbcs_tree(frame_bytes: bytes, keystore: Keystore | None, source: str = "audit") -> str:
    """The annotated tree (no colour), checked and decrypted with the key store when it can be."""
    try:
        result = decode_message(frame_bytes, source)
    except Exception as exc:  # noqa: BLE001 - shown on the page, never a server error
        return f"{source}  ERROR cannot decode: {type(exc).__name__}: {exc}"
    frame = None
    if result.get("ok"):
        try:
            frame = parse_frame(frame_bytes)
            if keystore is not None:
                verify_into(result, frame, keystore.view(), ACB)
        except Exception as exc:  # noqa: BLE001 - the tree is still useful without the checks
            result["verify_error"] = f"{type(exc).__name__}: {exc}"
    try:
        return render_result(result, frame, colour=False)
    except Exception:  # noqa: BLE001 - an odd tree is still shown, as JSON (as smetsim parse does)
        return json.dumps(result, indent=1, default=_json_default)


def pretty_xml(document: bytes) -> str:
    """DUIS XML indented for reading (the stored bytes stay exact; this is display only)."""
    try:
        parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
        return etree.tostring(etree.fromstring(document, parser), pretty_print=True).decode()
    except etree.XMLSyntaxError:
        return document.decode("utf-8", "replace")
