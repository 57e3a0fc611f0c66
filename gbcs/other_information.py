"""The grouping header's other-information field (gbcs spec §1.4), decoded by its length.

``code(2) [SRP(8) [SRP counter(8) [supplementary originator counter(8)] [certificate]]]``.
A Supplementary Remote Party's KA certificate (one DER SEQUENCE) follows the SRP counter
directly in RTDS URP commands; in responses the supplementary originator counter comes first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OtherInformation:
    """The fields of the grouping header's other-information (spec §1.4)."""

    message_code: int
    supplementary_remote_party: bytes | None = None
    supplementary_remote_party_counter: int | None = None
    supplementary_originator_counter: int | None = None
    certificate: bytes | None = None


def _is_der_sequence(data: bytes) -> bool:
    """True when ``data`` is exactly one DER SEQUENCE (how a KA certificate is recognised)."""
    if len(data) < 2 or data[0] != 0x30:
        return False
    first = data[1]
    if first < 0x80:
        return 2 + first == len(data)
    n = first & 0x7F
    if n == 0 or n > 4 or len(data) < 2 + n:
        return False
    return 2 + n + int.from_bytes(data[2 : 2 + n], "big") == len(data)


def parse_other_information(raw: bytes) -> OtherInformation:
    """Split other-information: code(2) [SRP(8) [SRP counter(8) [supp. originator counter(8)] [certificate]]].

    A certificate (a DER SEQUENCE) may follow the SRP counter directly, as in RTDS URP
    commands; in responses the supplementary originator counter follows the SRP counter.
    Incomplete trailing fields are ignored.
    """
    if len(raw) == 2:  # by far the commonest form
        return OtherInformation(int.from_bytes(raw, "big"))
    if len(raw) < 2:
        raise ValueError("other-information has no message code")
    code = int.from_bytes(raw[:2], "big")
    srp = raw[2:10] if len(raw) >= 10 else None
    srp_counter = int.from_bytes(raw[10:18], "big") if len(raw) >= 18 else None
    rest = raw[18:]
    supp_counter = None
    certificate = None
    if rest:
        if _is_der_sequence(rest):
            certificate = rest
        elif len(rest) >= 8:
            supp_counter = int.from_bytes(rest[:8], "big")
            certificate = rest[8:] or None
    return OtherInformation(code, srp, srp_counter, supp_counter, certificate)


def encode_other_information(info: OtherInformation) -> bytes:
    """The bytes of ``info`` (the inverse of :func:`parse_other_information` for well-formed fields)."""
    out = info.message_code.to_bytes(2, "big")
    if info.supplementary_remote_party is None:
        return out
    out += info.supplementary_remote_party
    if info.supplementary_remote_party_counter is None:
        return out
    out += info.supplementary_remote_party_counter.to_bytes(8, "big")
    if info.supplementary_originator_counter is not None:
        out += info.supplementary_originator_counter.to_bytes(8, "big")
    return out + (info.certificate or b"")
