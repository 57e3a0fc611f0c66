"""Message-code and alert-code tables (data files in gbcs/data), loaded once on first use."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import NamedTuple


class MessageCode(NamedTuple):
    """One row of the message-code table."""

    code: int
    use_case: str | None
    name: str


def _load(name: str) -> dict:
    return tomllib.loads(resources.files("gbcs.data").joinpath(name).read_text(encoding="utf-8"))


@cache
def message_codes() -> dict[int, MessageCode]:
    """All known message codes (GBCS other-information), keyed by code."""
    table = _load("message_codes.toml")["codes"]
    return {int(k, 16): MessageCode(int(k, 16), v.get("use_case"), v["name"]) for k, v in table.items()}


@cache
def alert_codes() -> dict[int, str]:
    """All known alert codes with their meaning."""
    return {int(k, 16): v for k, v in _load("alert_codes.toml")["alerts"].items()}


def describe_message_code(code: int) -> MessageCode | None:
    """The table row for ``code``, or None for an unknown code (decoded generically)."""
    return message_codes().get(code)


def describe_alert_code(code: int) -> str | None:
    """The meaning of an alert code, or None when unknown."""
    return alert_codes().get(code)
