"""Service requests per second end to end: DUIS request -> DCC front end -> emulated ESME -> DUIS responses.

Non-critical SRV 4.1.1 reads from the PP import supplier: XSD validation, xmlSign verification,
Section P and G6 checks, transform, ACB MAC, device execution (MAC check, DLMS, response MAC),
two signed DUIS responses (I99, I0) and the audit records.  Measured in-process (``submit``)
and over HTTP (aiohttp server and client on loopback, ``--concurrency`` requests in flight).
Targets (issue 6): >= 1,500/s in-process and >= 500/s over HTTP on a 2-core machine.

    python -m benches.frontend_throughput [--requests N] [--concurrency C] [--xsd DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from lxml import etree

from proving import duis
from proving.duis.namespaces import sr
from proving.embedded import EmbeddedDcc, embedded_dcc
from proving.eui import eui_str
from proving.identities import user
from proving.premises import DEFAULT_DEVICES


def requests(dcc: EmbeddedDcc, count: int, start: int) -> list[bytes]:
    """Signed 4.1.1 reads with increasing counters."""
    pp = user("IS")
    key, cert = dcc.xml_signer(pp)
    target = eui_str(bytes.fromhex(DEFAULT_DEVICES[0][0]))
    out = []
    for counter in range(start, start + count):
        request_id = duis.RequestId(eui_str(pp.eui), target, counter)
        document = duis.build_request(request_id, "4.1.1", 1, etree.Element(sr("ReadInstantaneousImportRegisters")))
        out.append(duis.to_bytes(duis.sign(document, key, cert)))
    return out


def in_process(dcc: EmbeddedDcc, documents: list[bytes]) -> float:
    started = time.perf_counter()
    for document in documents:
        exchange = dcc.frontend.submit(document, service="S")
        assert exchange.outcome == "I0", exchange.error
    return len(documents) / (time.perf_counter() - started)


async def over_http(dcc: EmbeddedDcc, documents: list[bytes], concurrency: int) -> float:
    from aiohttp import ClientSession, web

    from proving.http_api import DuisHttpApi

    api = DuisHttpApi(dcc.frontend, dcc.keystore)
    runner = web.AppRunner(api.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/api/v1/serviceS"
    queue = list(documents)
    async with ClientSession() as session:

        async def worker() -> None:
            while queue:
                document = queue.pop()
                async with session.post(url, data=document) as reply:
                    assert reply.status == 200
                    await reply.read()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    await runner.cleanup()
    return len(documents) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    corpus = Path(os.environ.get("SMETSIM_CORPUS", "../shared/corpus"))
    parser.add_argument("--xsd", default=str(corpus / "duis" / "xsd"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        dcc = embedded_dcc(Path(state) / "dcc", args.xsd)
        dcc.approve_default_thresholds()
        dcc.entry_tests.record("IS", "bench", passed=True, completed_at="bench")
        warm = requests(dcc, 50, 1)
        in_process(dcc, warm)
        documents = requests(dcc, args.requests, 1000)
        rate = in_process(dcc, documents)
        print(f"in_process_requests_per_second={rate:.0f}  (target >= 1500)")
        documents = requests(dcc, args.requests, 10_000_000)
        http_rate = asyncio.run(over_http(dcc, documents, args.concurrency))
        print(f"http_requests_per_second={http_rate:.0f}  (target >= 500, {args.concurrency} in flight)")
        dcc.audit.close()


if __name__ == "__main__":
    main()
