"""CR1233 sequencing: spot messages that arrive out of the expected order for their request.

Correlation never depends on arrival order: every response/alert names the request it belongs
to, and the tracker keeps a small state per request.  Reading of CR1233 [I] used here; a
message is flagged (recorded, never dropped) when:

* a response or correlated alert arrives for a request that was never recorded (before it);
* a future-dated outcome (0x8F66 / 0x8F67) arrives before the request's immediate response
  (other correlated alerts, e.g. DCC Alert N24 after an I99, are only checked for a known request);
* a device response arrives after a future-dated outcome of the same request;
* a second device response arrives for the same request (duplicate);
* a per-instruction outcome repeats an instruction, or arrives after a higher instruction;
* a response arrives while an *earlier* request from the same originator to the same target
  still has no response (the earlier response is missing or late).

``I99`` acknowledgements count as acknowledgements, not as the device's immediate response, and so
does a ``PreCommand`` (the DCC's answer to sign); a ``LocalCommand`` ends its request, since
the User delivers that command itself.  The ``SignedPreCommand`` that follows a pre-command uses the same RequestID,
as DUIS requires: it continues that request rather than duplicating it.
State is kept for every request seen (a few dozen bytes each); rebuild it by replaying the
log through :meth:`SequenceTracker.observe`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FUTURE_DATED_CODES = frozenset({"8F66", "8F67"})
ACK_CODES = frozenset({"I99"})
DCC_ANSWERS = frozenset({"PreCommand"})  # a synchronous answer that is not the device's (the request goes on)
FINAL_DCC_ANSWERS = frozenset({"LocalCommand"})  # the request ends with it: the User delivers the command
CONTINUATIONS = frozenset({"SignedPreCommand"})  # requests that continue an earlier one of the same id


@dataclass(slots=True)
class _Request:
    peer: tuple[str | None, str | None]
    responded: bool = False
    outcomes: set[int] = field(default_factory=set)
    outcome_count: int = 0
    max_instruction: int = 0


class SequenceTracker:
    """Per-request state; :meth:`observe` returns the out-of-sequence reason or None."""

    def __init__(self) -> None:
        self._requests: dict[str, _Request] = {}
        self._awaiting: dict[tuple[str | None, str | None], dict[str, None]] = {}

    def observe(
        self,
        kind: str,
        request_id: str | None,
        correlates_to: str | None,
        originator: str | None,
        target: str | None,
        response_code: str | None,
        alert_code: str | None,
        instruction: int | None,
        message_type: str | None = None,
    ) -> str | None:
        """Account for one message in arrival order; a reason string when it is out of sequence."""
        if kind == "request":
            if message_type in CONTINUATIONS and request_id in self._requests:
                return None
            return self._request(request_id, originator, target)
        rid = correlates_to or (request_id if kind == "response" else None)
        if rid is None:
            return None
        if alert_code in FUTURE_DATED_CODES or kind == "alert":
            return self._outcome(rid, alert_code, instruction)
        if message_type in FINAL_DCC_ANSWERS:
            return self._response(rid)
        if response_code in ACK_CODES or message_type in DCC_ANSWERS:
            return None if rid in self._requests else f"acknowledgement for {rid} before any request was recorded"
        return self._response(rid)

    def _request(self, rid: str | None, originator: str | None, target: str | None) -> str | None:
        if rid is None:
            return None
        if rid in self._requests:
            return f"duplicate request {rid}"
        peer = (originator, target)
        self._requests[rid] = _Request(peer)
        self._awaiting.setdefault(peer, {})[rid] = None
        return None

    def _response(self, rid: str) -> str | None:
        req = self._requests.get(rid)
        if req is None:
            return f"response for {rid} before any request was recorded"
        reasons: list[str] = []
        if req.responded:
            reasons.append(f"duplicate response for {rid}")
        if req.outcome_count:
            reasons.append(f"immediate response for {rid} after {req.outcome_count} of its alert(s)")
        waiting = self._awaiting.get(req.peer)
        if waiting is not None and rid in waiting:
            first = next(iter(waiting))
            if first != rid:
                reasons.append(f"response for {rid} while earlier request {first} to the same target has no response")
            del waiting[rid]
            if not waiting:
                del self._awaiting[req.peer]
        req.responded = True
        return "; ".join(reasons) or None

    def _outcome(self, rid: str, code: str | None, instruction: int | None) -> str | None:
        req = self._requests.get(rid)
        label = f"alert {code}" if code else "alert"
        if req is None:
            return f"{label} for {rid} before any request was recorded"
        reasons: list[str] = []
        if not req.responded and code in FUTURE_DATED_CODES:
            reasons.append(f"{label} for {rid} before its immediate response")
        if instruction is not None:
            if instruction in req.outcomes:
                reasons.append(f"duplicate {label} for {rid} instruction {instruction}")
            elif instruction < req.max_instruction:
                reasons.append(f"{label} for {rid} instruction {instruction} after instruction {req.max_instruction}")
            req.outcomes.add(instruction)
            req.max_instruction = max(req.max_instruction, instruction)
        req.outcome_count += 1
        return "; ".join(reasons) or None

    def awaiting_response(self) -> list[str]:
        """Request ids still waiting for their immediate response, oldest first per target."""
        return [rid for waiting in self._awaiting.values() for rid in waiting]
