"""One thread for everything that touches the DCC front end (it is not thread-safe).

When the UI is mounted beside :class:`~proving.http_api.DuisHttpApi` it shares the API's
worker thread, and asynchronous DUIS documents the UI's actions produce (device responses,
alerts, requests released from G6) go to the API's outbox for the Receive Response URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class DccWorker:
    """Runs DCC actions one at a time; ``deliver`` (called on the event loop) takes asynchronous documents."""

    def __init__(self, executor: Executor | None = None,
                 deliver: Callable[[list[bytes]], None] | None = None) -> None:
        self._owned = executor is None  # an executor passed in belongs to its giver
        self.executor = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="dcc-ui")
        self.deliver = deliver or (lambda documents: None)

    async def run(self, action: Callable[[], T]) -> T:
        """Run ``action`` on the DCC thread."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, action)

    def close(self) -> None:
        if self._owned:
            self.executor.shutdown(wait=True)


def worker_for_api(api: Any) -> DccWorker:
    """A worker sharing a DuisHttpApi's thread (``api.executor``) and outbox (``api.enqueue``)."""

    def deliver(documents: list[bytes]) -> None:
        api.enqueue(documents)

    return DccWorker(api.executor, deliver)
