"""The DUIS Service Reference Variant catalogue (proving/data/srv_catalogue.toml), validated and cached."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any


class UserRole(StrEnum):
    """DUIS User Roles."""

    IS = "IS"  # Import Supplier
    ES = "ES"  # Export Supplier
    GS = "GS"  # Gas Supplier
    ED = "ED"  # Electricity Distributor
    GT = "GT"  # Gas Transporter
    OU = "OU"  # Other User
    RSA = "RSA"  # Registered Supplier Agent


class FutureDating(StrEnum):
    """How an SRV may be future dated."""

    DEVICE = "device"  # the device stores the command and executes it later (0x8F66/0x8F67)
    DSP = "dsp"  # the DCC holds the request until the execution time
    NONE = "none"
    DSP_AND_DEVICE = "dsp_and_device"  # SRV 6.23 only


DEVICE_TYPES = frozenset({"ESME", "GSME", "GPF", "CHF", "HCALCS", "PPMID"})
SAPC_VALUES = frozenset({"yes", "plausible", "no"})
CRITICAL_CVS = (4, 5, 6, 7)
NON_CRITICAL_CVS = (1, 2, 3)
NON_DEVICE_CVS = (8,)


class CatalogueError(ValueError):
    """The catalogue file is inconsistent."""


@dataclass(frozen=True, slots=True)
class Srv:
    """One Service Reference Variant."""

    id: str
    name: str
    body: str
    critical: bool
    non_device: bool
    command_variants: tuple[int, ...]
    future_dating: FutureDating
    dcc_schedulable: bool
    roles: frozenset[UserRole]
    use_cases: tuple[str, ...]
    message_codes: tuple[int, ...]
    devices: frozenset[str]
    sapc: str

    @property
    def service_reference(self) -> str:
        """The Service Reference (first two levels), e.g. "4.1" for "4.1.1"."""
        return ".".join(self.id.split(".")[:2])

    @property
    def dsp_only(self) -> bool:
        """True for non-device services handled by the DSP alone (CV 8)."""
        return self.non_device


def _expected_cvs(critical: bool, non_device: bool) -> tuple[int, ...]:
    if critical and non_device:
        raise CatalogueError("a non-device SRV cannot be critical")
    return CRITICAL_CVS if critical else NON_DEVICE_CVS if non_device else NON_CRITICAL_CVS


def _srv(srv_id: str, row: Mapping[str, Any]) -> Srv:
    """Build and validate one catalogue row."""
    parts = srv_id.split(".")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise CatalogueError(f"{srv_id}: not an SRV id")
    try:
        srv = Srv(
            id=srv_id,
            name=row["name"],
            body=row["body"],
            critical=bool(row["critical"]),
            non_device=bool(row["non_device"]),
            command_variants=tuple(row["command_variants"]),
            future_dating=FutureDating(row["future_dating"]),
            dcc_schedulable=bool(row["dcc_schedulable"]),
            roles=frozenset(UserRole(r) for r in row["roles"]),
            use_cases=tuple(row["use_cases"]),
            message_codes=tuple(row["message_codes"]),
            devices=frozenset(row["devices"]),
            sapc=row["sapc"],
        )
    except (KeyError, ValueError) as exc:
        raise CatalogueError(f"{srv_id}: {exc!r}") from exc
    if srv.command_variants != _expected_cvs(srv.critical, srv.non_device):
        raise CatalogueError(f"{srv_id}: command variants {srv.command_variants} do not fit its kind")
    if not srv.devices <= DEVICE_TYPES or srv.sapc not in SAPC_VALUES:
        raise CatalogueError(f"{srv_id}: unknown device type in {sorted(srv.devices)} / sapc={srv.sapc!r}")
    if srv.non_device == bool(srv.devices):
        raise CatalogueError(f"{srv_id}: non-device SRVs have no target devices, device SRVs need one")
    if not srv.non_device and not (srv.use_cases and srv.message_codes):
        raise CatalogueError(f"{srv_id}: a device SRV needs GBCS use cases and message codes")
    if any(not 0 <= c <= 0xFFFF for c in srv.message_codes):
        raise CatalogueError(f"{srv_id}: message code out of 16-bit range")
    return srv


def parse_catalogue(text: str) -> dict[str, Srv]:
    """Parse and validate catalogue TOML text; keys are SRV ids."""
    table = tomllib.loads(text).get("srv")
    if not isinstance(table, dict) or not table:
        raise CatalogueError("no [srv.*] tables")
    out = {srv_id: _srv(srv_id, row) for srv_id, row in table.items()}
    bodies = [s.body for s in out.values()]
    if len(set(bodies)) != len(bodies):
        raise CatalogueError("duplicate DUIS body element")
    return out


@cache
def catalogue() -> Mapping[str, Srv]:
    """Every SRV variant, keyed by id, loaded once."""
    text = resources.files("proving.data").joinpath("srv_catalogue.toml").read_text(encoding="utf-8")
    return parse_catalogue(text)


def srv(srv_id: str) -> Srv:
    """The SRV ``srv_id`` (e.g. "4.1.1"); KeyError when unknown."""
    try:
        return catalogue()[srv_id]
    except KeyError:
        raise KeyError(f"unknown SRV {srv_id!r}") from None


def _index(attr: str) -> dict[Any, tuple[Srv, ...]]:
    out: dict[Any, list[Srv]] = {}
    for item in catalogue().values():
        for key in getattr(item, attr):
            out.setdefault(key, []).append(item)
    return {k: tuple(v) for k, v in out.items()}


@cache
def _by_use_case() -> dict[str, tuple[Srv, ...]]:
    return _index("use_cases")


@cache
def _by_message_code() -> dict[int, tuple[Srv, ...]]:
    return _index("message_codes")


def for_use_case(use_case: str) -> tuple[Srv, ...]:
    """The SRVs that use the GBCS use case (e.g. "ECS17b"); empty when none."""
    return _by_use_case().get(use_case, ())


def for_message_code(code: int) -> tuple[Srv, ...]:
    """The SRVs whose GBCS commands carry message code ``code``; empty when none."""
    return _by_message_code().get(code, ())


def eligible(item: Srv | str, role: UserRole | str) -> bool:
    """True when a User in ``role`` may request the SRV (DUIS eligibility matrix); unknown role → False."""
    entry = item if isinstance(item, Srv) else srv(item)
    try:
        return UserRole(role) in entry.roles
    except ValueError:
        return False
