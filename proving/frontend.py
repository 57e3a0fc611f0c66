"""The DCC-compatible front end: a DUIS Service Request in, signed DUIS Responses and Alerts out.

:meth:`DccFrontEnd.submit` runs the DCC's checks in order and answers as DUIS does
(requirements §8):

1. the XML parses, is XSD-valid and carries the originator's xmlSign signature (else the
   request is *rejected*: no DUIS response, as an HTTP 400);
2. the web service suits the command variant (E13), the SRV allows the variant (E12);
3. the originator is a known User in a role eligible for the SRV (E1, E2); Production Proving
   originators also pass the Section P rules (E2 with the refusal) and G6 anomaly detection
   (held until thresholds are approved; a breach is quarantined with an AD1 DCC Alert);
4. the target device exists (E19), its Smart Metering Inventory status allows the SRV (E5) and the
   SRV serves its type (E11); the body transforms (E100);
5. command variant 4 returns the pre-command (I0 + PreCommand); 5-7 take the signed pre-command;
   2 and 6 return the command for local delivery (I0 + LocalCommand); 1, 3, 5, 7 are
   acknowledged (I99) and the device's response follows (I0 + GBCSPayload), as do its alerts:
   future-dated outcomes as FutureDatedDeviceAlertMessage responses, the rest as Device Alerts
   after alert-storm throttling; no answer is E21 (E20 when the device is unreachable).

Non-device SRVs (CV 8) are acknowledged (I99), except those the inventory serves
(:mod:`proving.inventory`): 8.2 Read Inventory (I0 + DSPInventory), 8.3 Decommission Device, 8.4
Update Inventory and 12.2 Device Pre-notification (E5 / E11 / E19 when refused).  A device's
success (I0) applies the status change it means (8.1.1, 8.7.x, 8.11).

E100 (a body the DCC cannot turn into the use case's command) and E1000 (the User's queue of
held requests is full) are smetsim's choices among DUIS codes whose meanings are not public.
Every request (rejected ones too), response and alert is handed to the audit callback in arrival order, one
batch (one transaction) per submission.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from emulator.catalogue import use_case as use_case_row

from . import duis
from .anomaly import AnomalyDetector, Disposition
from .anomaly import Request as G6Request
from .audit import AuditMessage
from .catalogue import catalogue, eligible
from .duis.namespaces import SR, sr
from .duis.xmlio import encode_b64
from .gateway import DccGateway, GatewayError
from .inventory import SmartMeteringInventory, after_success
from .inventory import answer as inventory_answer
from .premises import DeliveryTarget
from .routing import classify_alert, use_cases_for
from .section_p import SectionP
from .transform import TransformContext, Transformed, TransformError, transform

SERVICE_VARIANTS = {"S": frozenset({1, 3, 5, 7}), "T": frozenset({4}), "D": frozenset({2, 6, 8})}
GBCS_VERSION = "3.2"
ROLE_ACB = 4
QUEUE_FULL = "E1000"  # [I] DUIS lists E1000 without a public meaning; smetsim answers a full queue with it
ACB_USER_ROLES = frozenset({"ES", "OU", "RSA"})  # Users whose requests the ACB sends
# the GBCS remote-party role a User signs and MACs as (requirements §1.1)
GBCS_ROLE_OF_USER_ROLE = {"IS": 2, "ES": 2, "GS": 2, "RSA": 2, "ED": 3, "GT": 3}


@dataclass(slots=True)
class Exchange:
    """Everything one submission produced."""

    code: str | None  # the synchronous ResponseCode; None when the request was rejected
    responses: list[bytes] = field(default_factory=list)  # signed DUIS documents: synchronous first
    gbcs: list[bytes] = field(default_factory=list)  # GBCS messages exchanged, in order
    request: duis.DuisRequest | None = None
    error: str | None = None  # why: the rejection, or the meaning of an E-code
    final_code: str | None = None  # the outcome once the device has answered (I0, E21 ...)

    @property
    def outcome(self) -> str:
        return self.final_code or self.code or "rejected"


@dataclass(slots=True)
class Users:
    """The Users the front end knows: EUI -> (DUIS User Role, xmlSign certificates)."""

    roles: dict[bytes, str]
    certs: duis.CertStore


class DccFrontEnd:
    """See the module text."""

    def __init__(
        self,
        *,
        schema: duis.DuisSchema,
        users: Users,
        signer: tuple[Any, Any],  # (private key, certificate) the DCC signs responses with
        gateway: DccGateway,
        target: DeliveryTarget,
        section_p: SectionP | None = None,
        anomaly: AnomalyDetector | None = None,
        throttle: Callable[[bytes, int, datetime], duis.DeviceAlert | None] | None = None,
        audit: Callable[[list[AuditMessage]], object] | None = None,
        certificates: Callable[[bytes, str], bytes | None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_held: int = 10_000,
        inventory: SmartMeteringInventory | None = None,
    ) -> None:
        self.schema = schema
        self.users = users
        self.signer = signer
        self.gateway = gateway
        self.target = target
        self.section_p = section_p
        self.anomaly = anomaly
        self.throttle = throttle
        self.audit = audit
        self.certificates = certificates  # SMKI: DER of a device's certificate (eui, "ds" | "ka")
        self.now = now
        self.max_held = max_held  # G6-held requests kept per User before the queue counts as full
        self._held: dict[str, tuple[duis.DuisRequest, str | None, Exchange]] = {}
        self._audit_batch: list[AuditMessage] = []
        self._quarantined: dict[int, tuple[duis.DuisRequest, Exchange]] = {}
        self.inventory = inventory  # the SMI: status gate (E5) and inventory SRVs (8.2-8.4, 12.2)
        self._bodies: dict[str, etree._Element] = {}  # CV 4 bodies, for the SMI once the CV 5-7 command succeeds

    # ------------------------------------------------------------------ entry point

    def submit(self, xml: bytes, *, service: str | None = None) -> Exchange:
        """Process one DUIS request document (``service``: "S", "T" or "D" when it came to a web service)."""
        try:
            return self._submit(xml, service)
        finally:
            self._flush_audit()

    def _submit(self, xml: bytes, service: str | None) -> Exchange:
        try:
            root = duis.parse_xml(xml)
            self.schema.assert_valid(root)
            request = duis.parse_request(root)
        except duis.DuisError as exc:
            return self._reject(xml, None, f"invalid request: {exc}")
        originator = _eui(request.request_id.originator)
        try:
            duis.verify(root, self.users.certs, roles={duis.XML_SIGN_ROLE}, entity=str(request.request_id.originator))
        except duis.SignatureError as exc:
            return self._reject(xml, request, f"signature: {exc}")
        self._audit(AuditMessage("request", request.body_name, str(request.request_id), srv=request.srv,
                                 duis=xml, direction="in"))
        exchange = Exchange(None, request=request)
        code, reason = self._check(request, service, originator)
        if code is not None:
            return self._finish(exchange, self._error(request, code), reason)
        if self.anomaly is not None and self._is_pp(originator):
            if sum(1 for held, _, _ in self._held.values() if held.request_id.originator ==
                   request.request_id.originator) >= self.max_held:
                return self._finish(exchange, self._error(request, QUEUE_FULL), "the DCC's queue for this User is full")
            outcome = self.anomaly.submit(G6Request.from_request_id(str(request.request_id), request.srv))
            if outcome.disposition is Disposition.HELD:
                self._held[str(request.request_id)] = (request, service, exchange)
                return self._finish(exchange, duis.acknowledgement(request.request_id, request.srv, at=self.now()),
                                    "held until the G6 thresholds are approved")
            if outcome.disposition is Disposition.QUARANTINED and outcome.quarantine is not None:
                self._respond(exchange, duis.acknowledgement(request.request_id, request.srv, at=self.now()))
                exchange.code = "I99"
                self._quarantined[outcome.quarantine.ref] = (request, exchange)
                quarantined = duis.QuarantinedRequest(request.request_id, outcome.quarantine.ref,
                                                      _breach(outcome.quarantine.breach.value))
                alert = duis.dcc_alert(duis.DCCAlert("AD1", quarantined), request_id=request.request_id,
                                       at=self.now())
                self._respond(exchange, alert)
                exchange.error = "quarantined by G6 anomaly detection"
                return exchange
        return self._process(request, exchange)

    def release_quarantined(self, ref: int) -> Exchange:
        """Release a quarantined request (G6): it is processed now; the exchange gathers its responses."""
        if self.anomaly is None or ref not in self._quarantined:
            raise LookupError(f"no quarantined request with QuarantineEventRef {ref}")
        self.anomaly.release(ref)
        request, exchange = self._quarantined.pop(ref)
        try:
            return self._process(request, exchange)
        finally:
            self._flush_audit()

    def delete_quarantined(self, ref: int) -> None:
        """Delete a quarantined request: it is never processed."""
        if self.anomaly is None or ref not in self._quarantined:
            raise LookupError(f"no quarantined request with QuarantineEventRef {ref}")
        self.anomaly.delete(ref)
        del self._quarantined[ref]

    def _reject(self, xml: bytes, request: duis.DuisRequest | None, reason: str) -> Exchange:
        """A request the DCC cannot accept (no DUIS response, as HTTP 400); still audited."""
        self._audit(AuditMessage("request", "rejected", duis=xml, direction="in",
                                 extra={"reason": reason,
                                        "request_id": str(request.request_id) if request else None}))
        return Exchange(None, request=request, error=reason)

    def approve_thresholds(self, owner: str) -> list[Exchange]:
        """Approve an owner's G6 thresholds and process its held requests (their responses follow)."""
        if self.anomaly is None:
            return []
        try:
            return self._approve(owner)
        finally:
            self._flush_audit()

    def _approve(self, owner: str) -> list[Exchange]:
        assert self.anomaly is not None
        done = []
        for outcome in self.anomaly.approve(owner):
            held = self._held.pop(outcome.request.request_id, None)
            if held is None:
                continue
            request, _, exchange = held
            if outcome.disposition is Disposition.PROCESSED:
                done.append(self._process(request, exchange))
        return done

    # ------------------------------------------------------------------ checks

    def _is_pp(self, originator: bytes) -> bool:
        return self.section_p is not None and originator in self.section_p.parties.pp_range

    def _check(self, request: duis.DuisRequest, service: str | None, originator: bytes) -> tuple[str | None, str]:
        srv = catalogue().get(request.srv)
        if srv is None:
            return "E11", f"unknown SRV {request.srv}"
        cv = request.command_variant
        if service is not None and cv not in SERVICE_VARIANTS.get(service, frozenset()):
            return "E13", f"command variant {cv} is not served by service{service}"
        allowed = set(srv.command_variants) | ({5, 6, 7} if srv.critical else set())
        if cv not in allowed:
            return "E12", f"command variant {cv} is not valid for SRV {request.srv}"
        role = self.users.roles.get(originator)
        if role is None:
            return "E1", f"{request.request_id.originator} is not a known User"
        if not eligible(request.srv, role):
            return "E2", f"role {role} may not send SRV {request.srv}"
        if self._is_pp(originator) and self.section_p is not None:
            refusal = self.section_p.check(originator, role, request.srv)
            if refusal is not None:
                return "E2", f"Section P: {refusal.reason}"
        return None, ""

    # ------------------------------------------------------------------ processing

    def _process(self, request: duis.DuisRequest, exchange: Exchange) -> Exchange:
        srv = catalogue()[request.srv]
        if srv.non_device:
            return self._non_device(request, exchange)
        target = _eui(request.request_id.target)
        device_type = self.target.device_type(target)
        if device_type is None:
            return self._finish(exchange, self._error(request, "E19"), "no such device")
        refusal = self.inventory.refusal(target, srv.id) if self.inventory is not None else None
        if refusal is not None:
            return self._finish(exchange, self._error(request, refusal.code), refusal.reason)
        cv = request.command_variant
        if cv in (5, 6, 7):
            try:
                signed = _signed_precommand(request.body)
                command = self.gateway.from_signed_precommand(signed)
            except (GatewayError, ValueError) as exc:
                return self._finish(exchange, self._error(request, "E12"), str(exc))
            exchange.gbcs.append(signed)
        else:
            candidates = use_cases_for(srv, device_type)
            if not candidates:
                reason = f"SRV {srv.id} does not serve a {device_type}"
                return self._finish(exchange, self._error(request, "E11"), reason)
            user = _eui(request.request_id.originator)
            try:
                payload, originator, counter, acb_signs = self._transform(request, candidates, user, target,
                                                                          device_type)
                if acb_signs:  # the DCC sends it as ACB, signed with its own key (no User pre-command)
                    command = self.gateway.signed_command(payload, counter=counter, originator=originator,
                                                          recipient=target)
                else:
                    build = self.gateway.precommand if srv.critical and originator == user else self.gateway.command
                    command = build(payload, counter=counter, originator=originator, recipient=target)
            except (TransformError, LookupError, ValueError) as exc:
                return self._finish(exchange, self._error(request, "E100"), str(exc))
            exchange.gbcs.append(command)
            if cv == 4:
                self._remember_body(request)
                body = _payload_element("PreCommand", command, GBCS_VERSION)
                return self._finish(exchange, self._message(request, "I0", other=body), "")
        if cv in (2, 6):
            return self._finish(exchange, self._message(request, "I0", other=_payload_element("LocalCommand", command)),
                                "")
        if cv in (5, 7):
            exchange.gbcs.append(command)
        self._respond(exchange, duis.acknowledgement(request.request_id, request.srv, at=self.now()))
        exchange.code = "I99"
        return self._deliver(request, command, exchange)

    def _deliver(self, request: duis.DuisRequest, command: bytes, exchange: Exchange) -> Exchange:
        delivery = self.target.deliver(command)
        if delivery.response is not None:
            exchange.gbcs.append(delivery.response)
            self._respond(exchange, duis.device_response(request.request_id, request.srv, delivery.response,
                                                         at=self.now()))
            exchange.final_code = "I0"
            self._update_inventory(request)
        else:
            code = "E21" if delivery.reachable else "E20"
            self._respond(exchange, self._error(request, code))
            exchange.final_code = code
            exchange.error = "no response from the device" if delivery.reachable else "cannot reach the device"
        total = sum(1 for raw in delivery.alerts if classify_alert(raw).future_dated_outcome)
        number = 0
        for raw in delivery.alerts:
            exchange.gbcs.append(raw)
            info = classify_alert(raw)
            code_text = f"{info.alert_code or 0:04X}"
            if info.future_dated_outcome:
                number += 1
                alert = duis.FutureDatedAlert(code_text, raw, number, max(total, 1))
                self._respond(exchange, duis.future_dated_response(request.request_id, request.srv, alert,
                                                                   at=self.now()))
                continue
            forwarded = (self.throttle(_eui(request.request_id.target), info.alert_code or 0, self.now())
                         if self.throttle is not None else duis.DeviceAlert(code_text, raw))
            if forwarded is None:
                continue  # suppressed by alert-storm protection (counted there)
            if forwarded.gbcs_payload != raw:
                forwarded = duis.DeviceAlert(forwarded.alert_code, raw, forwarded.throttled_sequence_id,
                                             forwarded.throttled_count)
            response_id = duis.RequestId(request.request_id.target, request.request_id.originator, 0)
            self._respond(exchange, duis.device_alert(response_id, forwarded, at=self.now()))
        return exchange

    def _non_device(self, request: duis.DuisRequest, exchange: Exchange) -> Exchange:
        """Non-device SRVs: the SMI answers 8.2-8.4 and 12.2; the others are acknowledged (I99)."""
        answered = (inventory_answer(self.inventory, request.srv, request.body, str(request.request_id))
                    if self.inventory is not None else None)
        if answered is None or answered.code == "I99":
            return self._finish(exchange, duis.acknowledgement(request.request_id, request.srv, at=self.now()), "")
        if answered.body is None:
            return self._finish(exchange, self._error(request, answered.code), answered.reason)
        return self._finish(exchange, self._message(request, answered.code, other=answered.body), "")

    def _remember_body(self, request: duis.DuisRequest) -> None:
        if self.inventory is None:
            return
        if len(self._bodies) >= 1000:
            self._bodies.pop(next(iter(self._bodies)))
        self._bodies[str(request.request_id)] = request.body

    def _update_inventory(self, request: duis.DuisRequest) -> None:
        """After a device's success: the SMI status change it means (8.1.1, 8.7.x, 8.11)."""
        if self.inventory is None:
            return
        body = self._bodies.pop(str(request.request_id), request.body)
        after_success(self.inventory, request.srv, body, _eui(request.request_id.target), str(request.request_id),
                      lambda eui: self.target.device_type(eui) is not None)

    def _acb_sends(self, message_code: int, user: bytes, device_type: str) -> bool:
        """True for commands the DCC sends itself (as ACB) on the User's behalf: every CHF command, the
        requests of Users without device trust (ES, OU, RSA), and use cases the User's role may not originate."""
        role = self.users.roles.get(user, "")
        if device_type == "CHF" or role in ACB_USER_ROLES:
            return True
        row = use_case_row(message_code)
        if row is None or not row.roles:
            return False
        return GBCS_ROLE_OF_USER_ROLE.get(role) not in row.roles and ROLE_ACB in row.roles

    def _extra(self, request: duis.DuisRequest, acb: bool) -> dict[str, Any]:
        """What the DCC knows besides the body: counters, the User's role, its inventory of devices."""
        extra: dict[str, Any] = {"request_counter": request.request_id.counter,
                                 "supplementary_remote_party_counter": request.request_id.counter,
                                 "user_role": self.users.roles.get(_eui(request.request_id.originator)),
                                 "via_acb": acb, "device_type_of": self.target.device_type}
        cin = customer_identification_number(str(request.request_id))  # 9.1: the DCC generates the CIN
        extra["cin"] = extra["customer_identification_number"] = cin
        for name, key in (("OtherDeviceID", "other_device_type"), ("DeviceID", "device_type")):
            for element in request.body.iter(sr(name)):
                try:
                    eui = _eui((element.text or "").strip())
                except ValueError:
                    continue
                kind = self.target.device_type(eui) if len(eui) == 8 else None
                if kind is not None:
                    extra.setdefault(key, kind)
                    if key == "other_device_type" and self.certificates is not None:
                        certificate = self.certificates(eui, "ka")
                        if certificate is not None:
                            extra.setdefault("other_device_certificate", certificate)
        return extra

    def _transform(self, request: duis.DuisRequest, candidates: list[tuple[str, int]], user: bytes,
                   target: bytes, device_type: str) -> tuple[Transformed, bytes, int, bool]:
        """The first candidate use case whose transform accepts the body and whose device implements it.

        Returns the payload, the command's originator and counter, and whether the ACB signs it.
        """
        first_error: TransformError | None = None
        for use_case, message_code in candidates:
            acb = self._acb_sends(message_code, user, device_type)
            for _ in range(2):  # a second pass when the transform itself names the User as SRP
                counter = self.gateway.counters.take(self.gateway.acb) if acb else request.request_id.counter
                context = TransformContext(request.srv, use_case, message_code, counter, user, target, device_type,
                                           request.execution_datetime, self._extra(request, acb))
                try:
                    payload = transform(request.body, context)
                except TransformError as exc:
                    first_error = first_error or exc
                    payload = None
                    break
                names_user = payload.other_information is not None and len(payload.other_information) > 2
                if acb or not (names_user or payload.acb_originates):
                    break
                acb = True
            if payload is None:
                continue
            supports = getattr(self.target, "supports", None)
            if supports is not None and not supports(target, payload.message_code, payload.payload_type):
                first_error = first_error or TransformError(use_case, f"the {device_type} does not implement it")
                continue
            row = use_case_row(payload.message_code)
            acb_signs = acb and row is not None and row.critical == "always"
            return payload, (self.gateway.acb if acb else user), counter, acb_signs
        assert first_error is not None
        raise first_error

    # ------------------------------------------------------------------ responses

    def _error(self, request: duis.DuisRequest, code: str) -> duis.DuisResponse:
        return duis.error_response(request.request_id, request.srv, code, at=self.now())

    def _message(self, request: duis.DuisRequest, code: str, *, other: etree._Element) -> duis.DuisResponse:
        body = duis.ResponseMessage(request.srv, other_xml=etree.tostring(other, method="c14n", exclusive=True))
        return duis.DuisResponse(code, self.now(), body, request.request_id, request.request_id.swapped())

    def _finish(self, exchange: Exchange, response: duis.DuisResponse, reason: str) -> Exchange:
        self._respond(exchange, response)
        exchange.code = exchange.code or response.response_code
        if reason:
            exchange.error = reason
        return exchange

    def _respond(self, exchange: Exchange, response: duis.DuisResponse) -> None:
        key, cert = self.signer
        document = duis.sign_response(response, key, cert)  # to_bytes(sign(response.to_xml(), ...)), faster
        exchange.responses.append(document)
        self._audit(_audit_message(response, document))

    def _audit(self, message: AuditMessage) -> None:
        if self.audit is not None:
            self._audit_batch.append(message)

    def _flush_audit(self) -> None:
        """Record the messages of one submission in one transaction (in arrival order)."""
        if self.audit is not None and self._audit_batch:
            batch, self._audit_batch = self._audit_batch, []
            self.audit(batch)


def _audit_message(response: duis.DuisResponse, document: bytes) -> AuditMessage:
    """The audit record of one DUIS response or alert."""
    body = response.body
    request_id = str(response.request_id) if response.request_id else None
    response_id = str(response.response_id) if response.response_id else None
    if isinstance(body, duis.DeviceAlert):
        return AuditMessage("alert", "DeviceAlertMessage", response_id=response_id,
                            response_code=response.response_code, alert_code=body.alert_code,
                            gbcs=body.gbcs_payload, duis=document, direction="out")
    if isinstance(body, duis.DCCAlert):
        return AuditMessage("alert", "DCCAlertMessage", request_id, response_id, correlates_to=request_id,
                            response_code=response.response_code, alert_code=body.code, duis=document,
                            direction="out")
    future = body.future_dated_alert
    kind = etree.QName(etree.fromstring(body.other_xml)).localname if body.other_xml else "ResponseMessage"
    return AuditMessage("response", kind, request_id, response_id, body.service_reference_variant,
                        response_code=response.response_code,
                        alert_code=future.alert_code if future else None,
                        instruction=future.instruction_number if future else None,
                        total_instructions=future.total_command_instructions if future else None,
                        future_dated=future is not None,
                        gbcs=future.gbcs_payload if future else body.gbcs_payload, duis=document, direction="out")


def customer_identification_number(request_id: str) -> str:
    """A 4-digit CIN the DCC generates for SRV 9.1 (derived from the RequestID, so a run is repeatable)."""
    return f"{int.from_bytes(hashlib.sha256(request_id.encode()).digest()[:4], 'big') % 10000:04d}"


def _eui(text: str) -> bytes:
    return bytes.fromhex(text.replace("-", ""))


def _breach(value: str) -> str:
    return {"ADUserThresholdBreach": "User", "ADDCCThresholdBreach": "DCC"}.get(value, "AttributeLimits")


def _payload_element(name: str, gbcs: bytes, version: str | None = None) -> etree._Element:
    element = etree.Element(sr(name), nsmap={"sr": SR})
    if version is not None:
        etree.SubElement(element, sr("GBCSVersion")).text = version
    etree.SubElement(element, sr("GBCSPayload")).text = encode_b64(gbcs)
    return element


def _signed_precommand(body: etree._Element) -> bytes:
    if etree.QName(body).localname != "SignedPreCommand":
        raise ValueError("command variants 5-7 carry a SignedPreCommand")
    payload = body.find(sr("GBCSPayload"))
    if payload is None or not (payload.text or "").strip():
        raise ValueError("SignedPreCommand has no GBCSPayload")
    return base64.b64decode(payload.text.strip(), validate=True)
