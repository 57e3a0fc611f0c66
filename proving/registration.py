"""SEC Section P: dummy Production Proving Registration Data, with identifiers outside the real ranges.

The spec (requirements.md §8.4) only states the principle: PP party and market identifiers lie outside real
ranges so nothing can settle or bill against them. The numbers are not public, so these choices are ours
([I] inferred from the industry formats, [U] our assumption) and the validator is a whitelist: anything not
in the PP namespace is treated as real-looking and rejected.

* MPAN core (13 digits: 2-digit distributor ID, 10-digit unique ID, check digit) [I]. Real distributor IDs
  are 10-23 (the 14 DNO areas) and 24 upwards (IDNOs); we treat all of 10-99 as real. PP MPANs use
  distributor IDs 00-09 and carry a valid check digit, so they pass format checks but match no network.
* MPRN: real MPRNs are 6-10 digits [I]. PP MPRNs are exactly 5 digits (10000-99999); the DUIS ``MPRN``
  type (1-10 characters) still accepts them.
* Party IDs (Market Participant IDs for supplier and network parties, Party Signifiers): real ones are
  four letters [I]. PP party IDs are four digits 9000-9999 [U].
* RDP Signifiers (Registration Data Provider): same PP namespace as party IDs [U].
* Market areas: real GSP Group IDs are _A.._P (no _I, _O) and real gas LDZs are two-letter codes [I].
  PP uses GSP Group "_Z" and LDZ "ZZ" [U].
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from enum import StrEnum


class Fuel(StrEnum):
    """The fuel an MPxN belongs to."""

    ELECTRICITY = "electricity"
    GAS = "gas"


MPAN_PRIMES = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)
REAL_DISTRIBUTOR_IDS = range(10, 100)
PP_DISTRIBUTOR_IDS = range(0, 10)
REAL_MPRN_DIGITS = range(6, 11)
PP_MPRN_RANGE = range(10_000, 100_000)
PP_PARTY_ID = re.compile(r"^9\d{3}$")
REAL_PARTY_ID = re.compile(r"^[A-Z]{4}$")
REAL_GSP_GROUPS = frozenset(f"_{c}" for c in "ABCDEFGHJKLMNP")
PP_GSP_GROUP = "_Z"
PP_LDZ = "ZZ"


class RealLookingDataError(ValueError):
    """Registration Data that is not in the PP dummy namespace; ``problems`` lists each field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("not dummy PP Registration Data: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class RegistrationData:
    """Registration Data for one PP metering point."""

    mpxn: str
    fuel: Fuel
    supplier_id: str  # registered supplier's Party Signifier / MPID
    network_operator_id: str  # electricity distributor or gas transporter
    market_area: str  # GSP Group ID (electricity) or LDZ (gas)
    rdp_signifier: str  # the Registration Data Provider


def mpan_check_digit(first12: str) -> int:
    """The MPAN core check digit for its first 12 digits."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError(f"need 12 digits, got {first12!r}")
    return sum(int(d) * p for d, p in zip(first12, MPAN_PRIMES, strict=True)) % 11 % 10


def is_pp_party_id(value: str) -> bool:
    """True for an identifier in the PP party namespace (party IDs, Party and RDP Signifiers)."""
    return bool(PP_PARTY_ID.match(value))


def _mpan_problems(mpan: str) -> list[str]:
    if len(mpan) != 13 or not mpan.isdigit():
        return [f"MPAN {mpan!r} is not a 13-digit MPAN core"]
    problems = []
    if int(mpan[:2]) not in PP_DISTRIBUTOR_IDS:
        problems.append(f"MPAN {mpan} has real distributor ID {mpan[:2]} (PP uses 00-09)")
    if mpan_check_digit(mpan[:12]) != int(mpan[12]):
        problems.append(f"MPAN {mpan} has a wrong check digit")
    return problems


def _mprn_problems(mprn: str) -> list[str]:
    if not mprn.isdigit() or int(mprn) not in PP_MPRN_RANGE or len(mprn) != 5:
        return [f"MPRN {mprn!r} is not a 5-digit PP MPRN (real MPRNs have 6-10 digits)"]
    return []


def problems(rd: RegistrationData) -> list[str]:
    """Every reason ``rd`` is not dummy PP Registration Data (empty when it is)."""
    out = _mpan_problems(rd.mpxn) if rd.fuel is Fuel.ELECTRICITY else _mprn_problems(rd.mpxn)
    for field in ("supplier_id", "network_operator_id", "rdp_signifier"):
        value = getattr(rd, field)
        if not is_pp_party_id(value):
            kind = "real-looking" if REAL_PARTY_ID.match(value) else "non-PP"
            out.append(f"{field} {value!r} is a {kind} party ID (PP uses 9000-9999)")
    area = PP_GSP_GROUP if rd.fuel is Fuel.ELECTRICITY else PP_LDZ
    if rd.market_area != area:
        out.append(f"market_area {rd.market_area!r} is not the PP area {area!r}")
    return out


def validate_dummy(rd: RegistrationData) -> RegistrationData:
    """Return ``rd`` when it is dummy PP data; raise :class:`RealLookingDataError` otherwise."""
    found = problems(rd)
    if found:
        raise RealLookingDataError(found)
    return rd


def _mpan(rng: random.Random) -> str:
    first12 = f"{rng.choice(PP_DISTRIBUTOR_IDS):02d}{rng.randrange(10**10):010d}"
    return first12 + str(mpan_check_digit(first12))


def _party(rng: random.Random) -> str:
    return f"9{rng.randrange(1000):03d}"


def generate(
    count: int, fuel: Fuel | str, *, seed: int = 0, rdp_signifier: str | None = None
) -> list[RegistrationData]:
    """``count`` distinct dummy PP Registration Data records, deterministic for a given seed."""
    fuel = Fuel(fuel)
    if fuel is Fuel.GAS and count > len(PP_MPRN_RANGE):
        raise ValueError(f"at most {len(PP_MPRN_RANGE)} PP MPRNs exist")
    rng = random.Random(seed)
    rdp = rdp_signifier or _party(rng)
    seen: set[str] = set()
    out: list[RegistrationData] = []
    while len(out) < count:
        mpxn = _mpan(rng) if fuel is Fuel.ELECTRICITY else str(rng.choice(PP_MPRN_RANGE))
        if mpxn in seen:
            continue
        seen.add(mpxn)
        area = PP_GSP_GROUP if fuel is Fuel.ELECTRICITY else PP_LDZ
        out.append(validate_dummy(RegistrationData(mpxn, fuel, _party(rng), _party(rng), area, rdp)))
    return out
