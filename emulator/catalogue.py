"""The use-case catalogue (emulator/data/use_cases.toml): criticality, roles and timing per message code."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

CRITICAL_VALUES = ("always", "never", "either")


@dataclass(frozen=True, slots=True)
class UseCase:
    """What a device needs to know about one command message code."""

    code: int
    use_case: str
    name: str
    critical: str  # always | never | either
    roles: frozenset[int]
    kinds: frozenset[str]
    han: bool = False
    future_dated: bool = False
    timestamped: bool = False
    supplementary_originator_counter: bool = False

    def allows_role(self, role: int | None) -> bool:
        """True when a remote party of ``role`` may originate this use case."""
        return role is not None and role in self.roles


@cache
def catalogue() -> dict[int, UseCase]:
    """Every catalogued message code, loaded once."""
    text = resources.files("emulator.data").joinpath("use_cases.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)["codes"]
    out: dict[int, UseCase] = {}
    for key, row in table.items():
        code = int(key, 16)
        critical = row.get("critical", "never")
        if critical not in CRITICAL_VALUES:
            raise ValueError(f"use_cases.toml [codes.{key}] critical: {critical!r} is not one of {CRITICAL_VALUES}")
        out[code] = UseCase(
            code=code,
            use_case=row["use_case"],
            name=row.get("name", row["use_case"]),
            critical=critical,
            roles=frozenset(row.get("roles", ())),
            kinds=frozenset(row.get("kinds", ())),
            han=bool(row.get("han", False)),
            future_dated=bool(row.get("future_dated", False)),
            timestamped=bool(row.get("timestamped", False)),
            supplementary_originator_counter=bool(row.get("supplementary_originator_counter", False)),
        )
    return out


def use_case(code: int) -> UseCase | None:
    """The catalogue entry of a message code, or None when the code is not a known command."""
    return catalogue().get(code)


def codes_for(use_case_id: str) -> list[int]:
    """The message codes of a use case id (e.g. "ECS17b"), in code order."""
    return sorted(code for code, row in catalogue().items() if row.use_case == use_case_id)
