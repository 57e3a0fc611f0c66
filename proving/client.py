"""The Production Proving Function as a DUIS User: re-address, sign, submit, and finish critical requests.

:meth:`PpClient.send` takes a request (a template or a built-in one), puts the PP User's
DCC ID in as originator, the chosen device as target and the User's next counter, signs it
with the User's xmlSign key and submits it.  For a critical request (command variant 4)
it checks the returned pre-command, signs it with the User's GBCS DS key and sends the
signed pre-command (variant 5) under the same RequestID, as requirements §8.3 describes.
"""

from __future__ import annotations

import base64
import copy
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from lxml import etree

from gbcs.crypto import sign_precommand

from . import duis
from .duis.namespaces import sr
from .embedded import EmbeddedDcc
from .frontend import Exchange
from .gateway import CounterBook
from .identities import PpUser
from .partners import PARTNER_ELEMENTS, partner_type

SERVICE_OF_VARIANT = {1: "S", 3: "S", 5: "S", 7: "S", 4: "T", 2: "D", 6: "D", 8: "D"}


@dataclass(slots=True)
class Sent:
    """The whole story of one request: every exchange, and the final outcome."""

    exchanges: list[Exchange] = field(default_factory=list)
    duration_ms: float = 0.0

    @property
    def outcome(self) -> str:
        return self.exchanges[-1].outcome if self.exchanges else "not sent"

    @property
    def responses(self) -> list[bytes]:
        return [doc for e in self.exchanges for doc in e.responses]

    @property
    def gbcs(self) -> list[bytes]:
        return [message for e in self.exchanges for message in e.gbcs]

    @property
    def error(self) -> str | None:
        return next((e.error for e in reversed(self.exchanges) if e.error), None)


class PpClient:
    """Sends requests as the PP Users of an embedded DCC."""

    def __init__(self, dcc: EmbeddedDcc) -> None:
        self.dcc = dcc
        self.counters = CounterBook(start=int(time.time() * 1000))  # epoch milliseconds, as DCC Boxed tools do
        self._view = dcc.keystore.view()

    def send(self, request: duis.DuisRequest, user: PpUser, target: bytes, *, retarget_body: str | None = None) -> Sent:
        """Re-address ``request`` for ``user`` and ``target`` and see it through."""
        started = time.perf_counter()
        sent = Sent()
        body = request.body
        if retarget_body is not None:  # EUIs inside the body that meant the template's target
            body = _replace_eui(body, retarget_body, duis.normalise_eui(target))
        body = self._own_partners(body, target)
        body = self._own_ka_certificate(body, user)
        counter = self.counters.take(user.eui)
        request_id = duis.RequestId(duis.normalise_eui(user.eui), duis.normalise_eui(target), counter)
        first = self._submit(request_id, request.srv, request.command_variant, body, user, sent)
        if request.command_variant == 4 and first.code == "I0":
            precommand = _precommand_payload(first.responses[-1])
            if precommand is not None:
                signed = sign_precommand(precommand, self._view)
                follow = etree.Element(sr("SignedPreCommand"))
                when = request.execution_datetime
                if when is not None:
                    etree.SubElement(follow, sr("ExecutionDateTime")).text = duis.xmlio.format_datetime(when)
                etree.SubElement(follow, sr("GBCSPayload")).text = base64.b64encode(signed).decode()
                self._submit(request_id, request.srv, 5, follow, user, sent)
        sent.duration_ms = (time.perf_counter() - started) * 1000
        return sent

    def _own_partners(self, body: etree._Element, target: bytes) -> etree._Element:
        """Device EUIs in the body that are not ours name the premises device of the partner type."""
        premises = self.dcc.premises
        target_type = premises.device_type(target)
        copied = copy.deepcopy(body)
        changed = False
        for name in PARTNER_ELEMENTS:
            wanted = partner_type(name, target_type)
            replacement = premises.first_of(wanted) if wanted else None
            if replacement is None:
                continue
            for element in copied.iter(sr(name)):
                try:
                    eui = bytes.fromhex((element.text or "").strip().replace("-", ""))
                except ValueError:
                    continue
                if len(eui) == 8 and premises.device_type(eui) is None:
                    element.text = duis.normalise_eui(replacement)
                    changed = True
        return copied if changed else body

    def _own_ka_certificate(self, body: etree._Element, user: PpUser) -> etree._Element:
        """Unknown-remote-party reads name the party's KA certificate: the PP User gives its own."""
        found = body.findall(f".//{sr('KAPublicSecurityCredentials')}")
        if not found:
            return body
        certificate = self.dcc.keystore.certificate(user.eui, "ka")
        if certificate is None:
            return body
        copied = copy.deepcopy(body)
        for element in copied.iter(sr("KAPublicSecurityCredentials")):
            element.text = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
        return copied

    def _submit(self, request_id: duis.RequestId, srv: str, variant: int, body: etree._Element, user: PpUser,
                sent: Sent) -> Exchange:
        document = duis.build_request(request_id, srv, variant, body)
        key, cert = self.dcc.xml_signer(user)
        signed = duis.to_bytes(duis.sign(document, key, cert))
        exchange = self.dcc.frontend.submit(signed, service=SERVICE_OF_VARIANT.get(variant))
        sent.exchanges.append(exchange)
        return exchange


def _precommand_payload(document: bytes) -> bytes | None:
    response = duis.parse_response(document)
    other = getattr(response.body, "other_xml", None)
    if other is None:
        return None
    payload = etree.fromstring(other).find(f"{sr('GBCSPayload')}")
    return base64.b64decode(payload.text) if payload is not None and payload.text else None


def _replace_eui(body: etree._Element, old: str, new: str) -> etree._Element:
    copied = copy.deepcopy(body)
    for element in copied.iter():
        if element.text and element.text.strip().upper() == old.upper():
            element.text = new
    return copied
