"""The structural comparison used to judge emulated responses against reference messages."""

from __future__ import annotations

import copy

from emulator.conformance import compare_structure


def _message(**payload: object) -> dict:
    base = {
        "ok": True, "cra": "response", "message_code": 0x0027, "mac_header": True, "signature_form": "null",
        "payload_type": "dlms", "date_time": "07DF0101FF000000008000FF", "counter": 1000,
        "other_information": {"supplementary_remote_party": None, "supplementary_remote_party_counter": None,
                              "supplementary_originator_counter": None, "certificate": None},
        "payload": {
            "apdu": "access-response", "invoke_id": 0x200003E8, "date_time": None, "requests": None,
            "data": [{"type": "double-long-unsigned", "value": 5},
                     {"type": "structure", "value": [{"type": "integer", "value": 0}, {"type": "enum", "value": 30}]},
                     {"type": "array", "value": [{"type": "long-unsigned", "value": 1}]}],
            "results": [{"kind": "get", "result": 0, "result_name": "success"}] * 3,
        },
    }
    base["payload"].update(payload)
    return base


def test_state_dependent_values_may_differ() -> None:
    reference = _message()
    emulated = copy.deepcopy(reference)
    emulated["counter"] = 2000
    emulated["date_time"] = "07E40101FF000000008000FF"
    emulated["payload"]["invoke_id"] = 0x200007D0
    emulated["payload"]["data"][0]["value"] = 123456
    emulated["payload"]["data"][2]["value"][0]["value"] = 9
    assert compare_structure(emulated, reference) == []


def test_protocol_differences_are_reported() -> None:
    reference = _message()
    cases = {
        "mac_header": lambda m: m.update(mac_header=False, signature_form="present"),
        "message_code": lambda m: m.update(message_code=0x0028),
        "date_time": lambda m: m.update(date_time=None),
        "results/0/result": lambda m: m["payload"]["results"].__setitem__(0, {"kind": "get", "result": 1}),
        "data/0": lambda m: m["payload"]["data"].__setitem__(0, {"type": "double-long", "value": 5}),
        "enum": lambda m: m["payload"]["data"][1]["value"].__setitem__(1, {"type": "enum", "value": 27}),
        "items": lambda m: m["payload"]["data"][2]["value"].append({"type": "long-unsigned", "value": 2}),
        "supplementary_remote_party": lambda m: m["other_information"].update(
            supplementary_remote_party="90B3D51F30010000"),
    }
    for expected, change in cases.items():
        emulated = copy.deepcopy(reference)
        change(emulated)
        differences = compare_structure(emulated, reference)
        assert differences and any(expected in d for d in differences), (expected, differences)


def test_unparsed_messages_are_a_difference() -> None:
    assert compare_structure({"ok": False, "error": "bad"}, _message())
