"""SEC Section P: requests the Production Proving function must never send (6.15 all variants, 6.21, 6.23)."""

from __future__ import annotations

from dataclasses import dataclass

# Keyed by Service Reference: every variant of it is excluded.
EXCLUDED_SERVICE_REFERENCES: dict[str, str] = {
    "6.15": "Update Security Credentials: PP must not replace device trust anchors (SEC Section P)",
    "6.21": "Request Handover Of DCC Controlled Device: PP must not hand devices over (SEC Section P)",
    "6.23": "Update Security Credentials (CoS): PP must not run a change of supplier (SEC Section P)",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a Production Proving request is refused."""

    srv: str
    rule: str
    reason: str

    def __str__(self) -> str:
        return f"SRV {self.srv} refused ({self.rule}): {self.reason}"


class RefusedRequest(PermissionError):
    """A Production Proving request that must not be sent."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


def service_reference(srv_id: str) -> str:
    """The Service Reference of an SRV id: "6.15.1" -> "6.15", "6.21" -> "6.21"."""
    return ".".join(srv_id.split(".")[:2])


def exclusion(srv_id: str) -> Refusal | None:
    """The refusal for an excluded SRV, or None when Section P allows PP to send it."""
    reason = EXCLUDED_SERVICE_REFERENCES.get(service_reference(srv_id))
    return None if reason is None else Refusal(srv_id, "excluded-srv", reason)


def ensure_not_excluded(srv_id: str) -> None:
    """Raise :class:`RefusedRequest` when PP must never send ``srv_id``."""
    refusal = exclusion(srv_id)
    if refusal is not None:
        raise RefusedRequest(refusal)
