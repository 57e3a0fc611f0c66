"""Conformance of emulated output: structural comparison with reference messages, and crypto verification.

:func:`compare_structure` compares two decoded message trees (``gbcs.message.decode_message``)
on what a protocol peer depends on: outer form (MAC header, signature form), CRA, message
code, the presence of the header's optional fields, the payload type and the payload's
type tree (A-XDR types, array and list lengths, structure sizes, compact-array layouts),
result codes and enumerations.  Values that depend on device state (readings, times,
counters, identifiers, ciphertexts) may differ.

:func:`verify_output` checks a replay output directory: every response and alert parses,
its signature or MAC verifies and its encrypted elements decrypt (remote parties' keys from
the key store, the emulated devices' certificates from ``OUT/keys``); given the reference
corpus it also compares each response with the reference response of the same name.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from gbcs.crypto import KeystoreView, verify_message
from gbcs.dlms.axdr import decode_data
from gbcs.errors import DecodeError
from gbcs.framing import parse_frame
from gbcs.message import decode_message, encrypted_elements
from smetsim.keys import Keystore

# keys whose values are structural: compared wherever they appear
COMPARED_VALUES = frozenset({
    "apdu", "kind", "result", "class_id", "attribute", "method", "selector", "cluster", "command", "control",
    "frame_control", "status", "profile", "alert_code", "asn1_type", "format", "data_type", "attribute_id",
})
# annotations and state-dependent fields: never compared
IGNORED_KEYS = frozenset({
    "name", "datetime", "flags", "last_flag_consistent", "invoke_id", "date_time", "alert_time", "hex", "raw",
    "sequence", "frame_counter", "ciphered_information", "bits",
})
HEADER_FIELDS = ("cra", "message_code", "mac_header", "signature_form", "payload_type")
OTHER_FIELDS = ("supplementary_remote_party", "supplementary_remote_party_counter",
                "supplementary_originator_counter", "certificate")


def _ignored(key: str) -> bool:
    return key in IGNORED_KEYS or key.endswith(("_name", "_datetime"))


def _is_axdr(node: dict[str, Any]) -> bool:
    return isinstance(node.get("type"), str) and ("value" in node or node["type"] == "null" or "hex" in node)


def _diff(emulated: Any, reference: Any, path: str, out: list[str], lengths: bool = True) -> None:
    if isinstance(emulated, dict) and isinstance(reference, dict):
        if _is_axdr(emulated) and _is_axdr(reference):
            _diff_axdr(emulated, reference, path, out, lengths)
            return
        if "value" in reference and "name" in reference and set(reference) <= {"value", "name"}:
            if emulated.get("value") != reference.get("value"):  # an enumeration (ASN.1 named value)
                out.append(f"{path}: {emulated.get('value')!r} != {reference.get('value')!r}")
            return
        keys_e = {k for k in emulated if not _ignored(k)}
        keys_r = {k for k in reference if not _ignored(k)}
        for key in sorted(keys_e ^ keys_r):
            out.append(f"{path}/{key}: {'only emulated' if key in keys_e else 'only in reference'}")
        for key in sorted(keys_e & keys_r):
            a, b = emulated[key], reference[key]
            if key in COMPARED_VALUES and not isinstance(b, (dict, list)):
                if a != b:
                    out.append(f"{path}/{key}: {a!r} != {b!r}")
            else:
                _diff(a, b, f"{path}/{key}", out, lengths)
        return
    if isinstance(emulated, list) and isinstance(reference, list):
        if len(emulated) != len(reference):
            out.append(f"{path}: {len(emulated)} items != {len(reference)}")
        for i, (a, b) in enumerate(zip(emulated, reference, strict=False)):
            _diff(a, b, f"{path}/{i}", out, lengths)
        return
    if isinstance(emulated, (dict, list)) or isinstance(reference, (dict, list)) or (
        (emulated is None) != (reference is None)
    ):
        out.append(f"{path}: {_shape(emulated)} != {_shape(reference)}")


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return f"list[{len(value)}]"
    return "null" if value is None else type(value).__name__


def _diff_axdr(emulated: dict[str, Any], reference: dict[str, Any], path: str, out: list[str], lengths: bool) -> None:
    kind = reference["type"]
    if emulated["type"] != kind:
        out.append(f"{path}: {emulated['type']} != {kind}")
        return
    if kind == "structure" or (kind == "array" and lengths):
        _diff(emulated["value"], reference["value"], f"{path}/value", out, lengths)
    elif kind == "array":  # lengths may differ: the elements present on both sides must still agree
        for i, (a, b) in enumerate(zip(emulated["value"], reference["value"], strict=False)):
            _diff(a, b, f"{path}/value/{i}", out, lengths)
    elif kind == "compact-array":
        rows_e, rows_r = emulated.get("value") or (), reference.get("value") or ()
        if emulated.get("type_description") != reference.get("type_description"):
            if lengths or (rows_e and rows_r) or not _same_row_kind(emulated, reference):
                out.append(f"{path}: compact-array row type differs")
        elif lengths and len(rows_e) != len(rows_r):
            out.append(f"{path}: {len(rows_e)} rows != {len(rows_r)}")
    elif kind == "enum" and emulated.get("value") != reference.get("value"):
        out.append(f"{path}: enum {emulated.get('value')} != {reference.get('value')}")


def _same_row_kind(emulated: dict[str, Any], reference: dict[str, Any]) -> bool:
    """Row types that differ only in array counts inside them (an empty buffer cannot show those)."""
    def strip(desc: Any) -> Any:
        if isinstance(desc, dict):
            return {k: strip(v) for k, v in desc.items() if k != "count"}
        if isinstance(desc, list):
            return [strip(v) for v in desc]
        return desc
    return strip(emulated.get("type_description")) == strip(reference.get("type_description"))


def compare_structure(emulated: dict[str, Any], reference: dict[str, Any], *, array_lengths: bool = True
                      ) -> list[str]:
    """The structural differences between two decoded messages (empty when they conform).

    With ``array_lengths`` false, A-XDR arrays and profile buffers may hold a different
    number of entries (a log or a tariff table of another length is device state); the
    entries both sides have must still agree.
    """
    out: list[str] = []
    if not emulated.get("ok") or not reference.get("ok"):
        if not emulated.get("ok"):
            out.append(f"emulated message does not parse: {emulated.get('error')}")
        if not reference.get("ok"):
            out.append(f"reference message does not parse: {reference.get('error')}")
        return out
    for key in HEADER_FIELDS:
        if emulated.get(key) != reference.get(key):
            out.append(f"/{key}: {emulated.get(key)!r} != {reference.get(key)!r}")
    if bool(emulated.get("date_time")) != bool(reference.get("date_time")):
        out.append(f"/date_time: {'present' if emulated.get('date_time') else 'absent'} != "
                   f"{'present' if reference.get('date_time') else 'absent'}")
    other_e = emulated.get("other_information") or {}
    other_r = reference.get("other_information") or {}
    for key in OTHER_FIELDS:
        if (other_e.get(key) is None) != (other_r.get(key) is None):
            out.append(f"/other_information/{key}: {'present' if other_e.get(key) is not None else 'absent'} != "
                       f"{'present' if other_r.get(key) is not None else 'absent'}")
    if emulated.get("payload_type") == reference.get("payload_type"):
        _diff(emulated.get("payload"), reference.get("payload"), "/payload", out, array_lengths)
    return out


# ---------------------------------------------------------------------------- verification


def _combined_view(*views: KeystoreView) -> KeystoreView:
    """A view that asks each view in turn."""

    def first(name: str) -> Any:
        lookups = [getattr(v, name) for v in views]

        def lookup(eui: bytes) -> Any:
            for fn in lookups:
                found = fn(eui)
                if found is not None:
                    return found
            return None
        return lookup

    return KeystoreView(
        ds_public=first("ds_public"), ds_private=first("ds_private"), ka_public=first("ka_public"),
        ka_private=first("ka_private"), pp_ka_public=first("pp_ka_public"), pp_ka_private=first("pp_ka_private"),
        is_device=lambda eui: any(v.is_device(eui) for v in views),
    )


def verify_file(raw: bytes, view: KeystoreView, acb: bytes) -> dict[str, Any]:
    """Parse and verify one emulated message: ``ok`` when it parses and every applicable check passes."""
    tree = decode_message(raw)
    result: dict[str, Any] = {"parsed": tree["ok"], "tree": tree}
    if not tree["ok"]:
        result["ok"] = False
        result["problem"] = tree.get("error")
        return result
    frame = parse_frame(raw)
    elements = [(p[len("/payload"):], w) for p, w in encrypted_elements(tree["payload_type"], tree["payload"])]
    checked = verify_message(frame, elements, view, acb)
    result.update(signature_valid=checked["signature_valid"], mac_valid=checked["mac_valid"],
                  decryption_valid=checked["decryption_valid"],
                  plaintexts={item["path"]: item["plaintext"] for item in checked["decrypted"]})
    problems = []
    if frame.signature and checked["signature_valid"] is not True:
        problems.append(f"signature {checked['signature_valid']}")
    if frame.mac is not None and checked["mac_valid"] is not True:
        problems.append(f"MAC {checked['mac_valid']}")
    if not frame.signature and frame.mac is None:
        problems.append("neither signed nor MAC'd")
    if elements and checked["decryption_valid"] is not True:
        problems.append(f"decryption {checked['decryption_valid']}")
    result["ok"] = not problems
    if problems:
        result["problem"] = ", ".join(problems)
    return result


def _alert_key(tree: dict[str, Any]) -> tuple[Any, Any]:
    payload = tree.get("payload") or {}
    code = payload.get("alert_code")
    if code is None:
        notification = payload.get("notification") or {}
        members = notification.get("value") or [{}]
        code = members[0].get("value") if isinstance(members, list) and members else None
    return tree.get("message_code"), code


def verify_output(out_dir: str | Path, keys_dir: str | Path, reference_dir: str | Path | None = None
                  ) -> dict[str, Any]:
    """Check every response and alert of a replay output (and compare them with a reference corpus).

    Returns ``files`` (per-file results), ``verified`` / ``failed`` counts and, with a
    reference, ``conformance``: the reference responses whose emulated response exists,
    verifies and has no structural difference, plus matched alerts.
    """
    out = Path(out_dir)
    store = Keystore.load(keys_dir)
    views = [store.view()]
    if (out / "keys").is_dir():  # the emulated devices' certificates win over the store's for the same EUI
        views.insert(0, Keystore.load(out / "keys").view())
    view = _combined_view(*views)
    acb = next((e for e in store.euis() if store.role(e) == 4), b"")
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(out.rglob("*_GBCS.HEX")):
        relative = path.relative_to(out)
        try:
            raw = bytes.fromhex(path.read_text().strip())
            result = verify_file(raw, view, acb)
        except (ValueError, DecodeError) as exc:
            result = {"parsed": False, "ok": False, "problem": str(exc), "tree": None}
        files[str(relative)] = result
    report: dict[str, Any] = {
        "files": len(files),
        "verified": sum(1 for r in files.values() if r["ok"]),
        "failed": {name: r.get("problem") for name, r in files.items() if not r["ok"]},
    }
    if reference_dir is not None:
        report["conformance"] = _conformance(out, Path(reference_dir), files, store.view(), acb)
    report["results"] = {name: {k: v for k, v in r.items() if k != "tree"} for name, r in files.items()}
    return report


def _plaintext_differences(mine: dict[str, Any], reference: dict[str, Any], lengths: bool) -> list[str]:
    """Differences between the decrypted DLMS elements of two responses (GBZ elements are not compared)."""
    out: list[str] = []
    if mine["tree"].get("payload_type") != "dlms":
        return out
    theirs = reference.get("plaintexts") or {}
    for path, plain in (mine.get("plaintexts") or {}).items():
        if path not in theirs:
            continue
        try:
            a_raw, b_raw = bytes.fromhex(plain), bytes.fromhex(theirs[path])
            a, _ = decode_data(a_raw, 0, len(a_raw))
            b, _ = decode_data(b_raw, 0, len(b_raw))
        except (ValueError, DecodeError):
            out.append(f"{path} (decrypted): not one A-XDR value")
            continue
        _diff(a, b, f"{path} (decrypted)", out, lengths)
    return out


def _conformance(out: Path, reference: Path, files: dict[str, dict[str, Any]], store_view: KeystoreView,
                 acb: bytes) -> dict[str, Any]:
    summary_path = out / "summary.json"
    replayed = None
    if summary_path.exists():
        replayed = {o["command"] for o in json.loads(summary_path.read_text())["outcomes"]}
    responses: dict[str, Any] = {}
    reasons: Counter[str] = Counter()
    tolerant = 0
    for ref_path in sorted(reference.rglob("*_RESPONSE_GBCS.HEX")):
        relative = str(ref_path.relative_to(reference))
        command = relative.replace("_RESPONSE_GBCS.HEX", "_COMMAND_GBCS.HEX")
        if replayed is not None and command not in replayed:
            continue
        ref = verify_file(bytes.fromhex(ref_path.read_text().strip()), store_view, acb)
        mine = files.get(relative)
        if mine is None:
            entry = {"ok": False, "differences": ["no emulated response"]}
        elif mine["tree"] is None or not mine["tree"].get("ok"):
            entry = {"ok": False, "differences": ["emulated response unreadable"]}
        else:
            diffs = compare_structure(mine["tree"], ref["tree"]) + _plaintext_differences(mine, ref, True)
            loose = (compare_structure(mine["tree"], ref["tree"], array_lengths=False)
                     + _plaintext_differences(mine, ref, False))
            if not mine["ok"]:
                diffs.insert(0, f"does not verify: {mine.get('problem')}")
                loose.insert(0, diffs[0])
            tolerant += not loose
            entry = {"ok": not diffs, "differences": diffs, "state_tolerant_ok": not loose}
        if entry["differences"]:
            reasons[_reason(entry["differences"][0])] += 1
        responses[relative] = entry
    matched_alerts, reference_alerts = _match_alerts(out, reference, files, replayed)
    conforming = sum(1 for e in responses.values() if e["ok"])
    return {
        "responses": len(responses),
        "conforming": conforming,
        "rate": conforming / len(responses) if responses else 0.0,
        "conforming_state_tolerant": tolerant,
        "first_difference": dict(reasons.most_common()),
        "reference_alerts": reference_alerts,
        "matched_alerts": matched_alerts,
        "by_response": responses,
    }


def _reason(difference: str) -> str:
    """A short category for a difference line (for the summary)."""
    if difference.startswith(("no emulated", "does not verify", "emulated response")):
        return difference.split(":")[0]
    path = difference.split(":")[0]
    parts = [p for p in path.split("/") if p and not p.isdigit()]
    return "/".join(parts[:3])


def _match_alerts(out: Path, reference: Path, files: dict[str, dict[str, Any]], replayed: set[str] | None
                  ) -> tuple[int, int]:
    """Reference alerts of replayed folders matched by an emulated alert (same codes, same structure)."""
    folders = {str(Path(c).parent) for c in replayed} if replayed is not None else None
    mine: dict[str, list[dict[str, Any]]] = {}
    for name, result in files.items():
        if "_ALERT_" in name and result["tree"] is not None and result["ok"]:
            mine.setdefault(str(Path(name).parent), []).append(result["tree"])
    total = matched = 0
    for ref_path in sorted(p for p in reference.rglob("*_GBCS.HEX") if "_ALERT" in p.name):
        folder = str(ref_path.parent.relative_to(reference))
        if folders is not None and folder not in folders:
            continue
        total += 1
        ref_tree = decode_message(bytes.fromhex(ref_path.read_text().strip()))
        candidates = mine.get(folder, [])
        for i, tree in enumerate(candidates):
            if _alert_key(tree) == _alert_key(ref_tree) and not compare_structure(tree, ref_tree):
                matched += 1
                del candidates[i]
                break
    return matched, total
