"""``smetsim serve``: the DUIS web services of DCC Boxed over HTTP (aiohttp), in front of the DCC front end.

* ``POST /api/v1/serviceS`` (Send Command: CV 1, 3, 5, 7), ``/api/v1/serviceT`` (Transform: CV 4),
  ``/api/v1/serviceD`` (Non-Device: CV 2, 6, 8): the body is a signed DUIS request; the answer
  is the synchronous signed DUIS response (``application/xml``, 200).  A request that is not
  well-formed, not XSD-valid or not signed by a known User gets 400 with the reason as text.
* Asynchronous responses and alerts (the device's I0, future-dated outcomes, Device and DCC
  alerts) are POSTed, in order, to the configured Receive Response URL, which answers 2xx
  (DCC Boxed's receivers answer 204); failed deliveries are retried and never dropped: they
  stay in the outbox, which ``GET /api/v1/outbox`` lists.
* ``GET /smki/certificates?eui=EUI&usage=ds|ka|xml-ds`` returns a certificate (PEM) of the
  key store, as DCC Boxed's SMKI repository answers certificate searches.

The front end is not thread-safe, so requests are processed one at a time on a single worker
thread; the event loop only parses HTTP and posts responses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from aiohttp import ClientSession, ClientTimeout, web
from cryptography.hazmat.primitives import serialization

from smetsim.keys import Keystore

from .frontend import DccFrontEnd, Exchange

SERVICES = {"serviceS": "S", "serviceT": "T", "serviceD": "D"}
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass
class Outbox:
    """Asynchronous DUIS documents waiting for delivery to the Receive Response URL."""

    url: str | None
    pending: deque[bytes] = field(default_factory=deque)
    delivered: int = 0
    failures: int = 0


class DuisHttpApi:
    """The aiohttp application (see the module text)."""

    def __init__(self, frontend: DccFrontEnd, keystore: Keystore, *, receive_url: str | None = None) -> None:
        self.frontend = frontend
        self.keystore = keystore
        self.outbox = Outbox(receive_url)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dcc")
        self._wake = asyncio.Event()
        self._session: ClientSession | None = None
        self._sender: asyncio.Task[None] | None = None

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The single worker thread the front end runs on (other callers must use it too)."""
        return self._executor

    def enqueue(self, documents: list[bytes]) -> None:
        """Queue asynchronous DUIS documents for the Receive Response URL, in order."""
        self.outbox.pending.extend(documents)
        if documents:
            self._wake.set()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        for name in SERVICES:
            app.router.add_post(f"/api/v1/{name}", self._service)
        app.router.add_get("/api/v1/outbox", self._list_outbox)
        app.router.add_get("/smki/certificates", self._certificate)
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)
        return app

    # ------------------------------------------------------------------ handlers

    async def _service(self, request: web.Request) -> web.Response:
        service = SERVICES[request.path.rsplit("/", 1)[1]]
        body = await request.read()
        loop = asyncio.get_running_loop()
        exchange: Exchange = await loop.run_in_executor(self._executor, lambda: self.frontend.submit(body,
                                                                                                      service=service))
        if exchange.code is None or not exchange.responses:
            return web.Response(status=400, text=(exchange.error or "rejected") + "\n")
        self.enqueue(exchange.responses[1:])
        return web.Response(body=exchange.responses[0], content_type="application/xml")

    async def _list_outbox(self, request: web.Request) -> web.Response:
        return web.json_response({"url": self.outbox.url, "pending": len(self.outbox.pending),
                                  "delivered": self.outbox.delivered, "failures": self.outbox.failures})

    async def _certificate(self, request: web.Request) -> web.Response:
        eui_text = request.query.get("eui", "").replace("-", "")
        usage = request.query.get("usage", "ds")
        try:
            eui = bytes.fromhex(eui_text)
        except ValueError:
            eui = b""
        if len(eui) != 8:
            return web.Response(status=400, text="eui: expected an EUI-64 (16 hex digits, hyphens allowed)\n")
        certificate = self.keystore.certificate(eui, usage)
        if certificate is None:
            return web.Response(status=404, text=f"no {usage} certificate for {eui.hex().upper()}\n")
        return web.Response(body=certificate.public_bytes(serialization.Encoding.PEM),
                            content_type="application/x-pem-file")

    # ------------------------------------------------------------------ asynchronous delivery

    async def _start(self, app: web.Application) -> None:
        self._session = ClientSession(timeout=ClientTimeout(total=10))
        self._sender = asyncio.create_task(self._send_loop())

    async def _stop(self, app: web.Application) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        if self._session is not None:
            await self._session.close()
        self._executor.shutdown(wait=True)

    async def _send_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self.outbox.url is None or self._session is None:
                continue
            attempt = 0
            while self.outbox.pending:
                document = self.outbox.pending[0]
                if await self._post(document):
                    self.outbox.pending.popleft()
                    self.outbox.delivered += 1
                    attempt = 0
                    continue
                self.outbox.failures += 1
                await asyncio.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
                attempt += 1

    async def _post(self, document: bytes) -> bool:
        assert self._session is not None and self.outbox.url is not None
        try:
            async with self._session.post(self.outbox.url, data=document,
                                          headers={"Content-Type": "application/xml"}) as reply:
                return 200 <= reply.status < 300
        except (TimeoutError, OSError, Exception):  # any transport failure: retry later
            return False
