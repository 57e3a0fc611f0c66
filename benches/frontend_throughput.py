"""Service requests per second end to end: DUIS request -> DCC front end -> emulated ESME -> DUIS responses.

Non-critical SRV 4.1.1 reads from the PP import supplier: XSD validation, xmlSign verification,
Section P and G6 checks, transform, ACB MAC, device execution (MAC check, DLMS, response MAC),
two signed DUIS responses (I99, I0) and the audit records.  Measured in-process (``submit``)
and over HTTP (aiohttp server and client on loopback, ``--concurrency`` requests in flight).
Targets (issue 6): >= 1,500/s in-process and >= 500/s over HTTP on a 2-core machine.  One
front end runs on one core; the sharded figure runs one shard process per core, each with its
own premises, front end and audit trail, submitting at once — how ``serve --shard K/N`` uses a
machine's cores.
``--repeat K`` reports the best of K runs; ``--stages`` adds the time per request of each stage
of ``submit`` (wall clock, perf_counter around each; stages nest as listed, ``other`` is the rest).

    python -m benches.frontend_throughput [--requests N] [--concurrency C] [--repeat K] [--stages] [--xsd DIR]

Where the time goes (2-core machine, about 1 ms per request after the issue 6 work): ECDSA
verify (~65 us) and two signs (~22 us each) in ``cryptography``, the audit commit (~150 us of
SQLite: one transaction per submission, written to the WAL before ``submit`` returns), and
Python everywhere else.  ``cryptography``, SQLite and lxml's XSD validation release the GIL,
but overlapping stages on threads (admitting request N+1 while N runs; committing N's audit
on a writer thread while N+1 runs) measured no faster: the stages are mostly Python and the
GIL handoffs cost what the overlap saves.  The second core serves the audit trail's WAL
checkpointer thread.  Going further means processes (admission, i.e. XSD + signature check,
in a worker: ~200 us less on the main thread).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@contextmanager
def _timed(target: Any, name: str, totals: dict[str, float], label: str) -> Iterator[None]:
    """Accumulate the wall time of ``target.name`` calls under ``label`` while inside the block."""
    original: Callable[..., Any] = getattr(target, name)
    own = vars(target).get(name)  # None: inherited (or a method of the instance's class)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[label] = totals.get(label, 0.0) + time.perf_counter() - started

    setattr(target, name, wrapper)
    try:
        yield
    finally:
        if own is not None:
            setattr(target, name, own)
        else:
            delattr(target, name)  # the wrapper shadowed an inherited or class attribute


def stage_times(dcc: EmbeddedDcc, documents: list[bytes]) -> tuple[list[tuple[str, float]], float]:
    """Microseconds per request in each stage of ``submit``, and in total."""
    from contextlib import ExitStack

    from proving import frontend as module

    frontend = dcc.frontend
    totals: dict[str, float] = {}
    stages: list[tuple[Any, str, str]] = [
        (module.duis, "parse_xml", "parse"),
        (type(frontend.schema), "assert_valid", "XSD validation"),
        (module.duis, "parse_request", "parse request"),
        (module.duis, "verify", "XML-DSig verification"),
        (frontend, "_check", "checks and Section P"),
        (type(frontend.anomaly), "submit", "G6"),
        (frontend, "_transform", "transform"),
        (type(frontend.gateway), "command", "gateway MAC"),
        (frontend.target, "deliver", "device"),
        (frontend, "_respond", "sign responses"),
        (frontend, "_flush_audit", "audit commit"),
    ]
    with ExitStack() as stack:
        for target, name, label in stages:
            stack.enter_context(_timed(target, name, totals, label))
        started = time.perf_counter()
        for document in documents:
            assert frontend.submit(document, service="S").outcome == "I0"
        total = time.perf_counter() - started
    per = 1e6 / len(documents)
    rows = [(label, totals.get(label, 0.0) * per) for _, _, label in stages]
    rows.append(("other", total * per - sum(value for _, value in rows)))
    return rows, total * per


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


def _shard_worker(xsd: str, count: int, barrier: Any, results: Any) -> None:
    """One shard (its own premises, front end and audit trail): time ``count`` requests after the barrier."""
    with tempfile.TemporaryDirectory() as state:
        dcc = embedded_dcc(Path(state) / "dcc", xsd)
        dcc.approve_default_thresholds()
        dcc.entry_tests.record("IS", "bench", passed=True, completed_at="bench")
        in_process(dcc, requests(dcc, 50, 1))
        documents = requests(dcc, count, 1000)
        barrier.wait()
        started = time.perf_counter()
        for document in documents:
            assert dcc.frontend.submit(document, service="S").outcome == "I0"
        results.put((count, time.perf_counter() - started))
        dcc.audit.close()


def sharded(xsd: str, workers: int, count: int) -> float:
    """Requests/s of ``workers`` shard processes submitting at once (one shard per core, as serve --shard runs)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [context.Process(target=_shard_worker, args=(xsd, count, barrier, results)) for _ in range(workers)]
    for process in processes:
        process.start()
    done = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    return sum(n for n, _ in done) / max(elapsed for _, elapsed in done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1, help="report the best of this many runs")
    parser.add_argument("--stages", action="store_true", help="also time each stage of submit")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="shard processes for the sharded in-process figure (default: one per core)")
    corpus = Path(os.environ.get("SMETSIM_CORPUS", "../shared/corpus"))
    parser.add_argument("--xsd", default=str(corpus / "duis" / "xsd"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        dcc = embedded_dcc(Path(state) / "dcc", args.xsd)
        dcc.approve_default_thresholds()
        dcc.entry_tests.record("IS", "bench", passed=True, completed_at="bench")
        warm = requests(dcc, 50, 1)
        in_process(dcc, warm)
        step = args.requests + 1000
        rate = max(in_process(dcc, requests(dcc, args.requests, 1000 + i * step)) for i in range(args.repeat))
        print(f"in_process_requests_per_second={rate:.0f}  (one front end, one core)")
        shard_rate = max(sharded(args.xsd, args.workers, args.requests) for _ in range(args.repeat))
        print(f"in_process_sharded_requests_per_second={shard_rate:.0f}  "
              f"({args.workers} shards, one per core; target >= 1500)")
        if args.stages:
            rows, total = stage_times(dcc, requests(dcc, args.requests, 1000 + args.repeat * step))
            for label, micros in rows:
                print(f"  {label:24s} {micros:7.1f} us")
            print(f"  {'total (timed)':24s} {total:7.1f} us per request")
        http_rate = max(asyncio.run(over_http(dcc, requests(dcc, args.requests, 10_000_000 + i * step),
                                              args.concurrency)) for i in range(args.repeat))
        print(f"http_requests_per_second={http_rate:.0f}  (target >= 500, {args.concurrency} in flight)")
        dcc.audit.close()


if __name__ == "__main__":
    main()
