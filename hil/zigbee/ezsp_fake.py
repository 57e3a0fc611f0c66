"""A fake EmberZNet NCP on a pseudo-terminal: ASH link, EZSP (v13 or v8), virtual air, faults.

The real, unmodified bellows/zigpy stack opens :attr:`FakeNcp.path` (a stable symlink to the
current pty slave) like any serial port.  The NCP side of ASH is :mod:`hil.zigbee.ash`; EZSP
is :class:`~hil.zigbee.ezsp_server.EzspServer`; the emulated devices live on a
:class:`~hil.zigbee.air.VirtualAir` built from an :class:`~proving.premises.EmulatedPremises`.

Faults (:class:`Faults`, or the methods): drop or corrupt the NCP's next DATA frames (the host
NAKs or times out and the NCP retransmits), NAK the host's next DATA frames (the host
retransmits), garbage bytes on the line, a spontaneous NCP reset (RSTACK), and port loss
(the pty disappears and comes back under the same path after a pause).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import ash
from .air import Aps, VirtualAir
from .ezsp_server import EzspServer
from .pty import PtyPair

LOG = logging.getLogger(__name__)
ACK_TIMEOUT = 0.25  # NCP waits this long for the host's ACK before retransmitting
MAX_RETRIES = 5


@dataclass
class Faults:
    """Pending one-shot faults (counts of frames to affect)."""

    drop_tx: int = 0
    corrupt_tx: int = 0
    nak_rx: int = 0


@dataclass
class _Outgoing:
    ezsp: bytes
    frm_num: int = -1
    tries: int = 0


def _damage(wire: bytes) -> bytes:
    """Flip bits in the first data byte of an encoded frame (never producing a reserved byte)."""
    damaged = bytearray(wire)
    index = 1 if len(damaged) > 3 else 0
    damaged[index] ^= 0x01
    if damaged[index] in ash.RESERVED:
        damaged[index] ^= 0x03
    return bytes(damaged)


class AshNcp:
    """The NCP end of an ASH link over a file descriptor, in one asyncio loop."""

    def __init__(self, fd: int, on_ezsp: Any, faults: Faults, loop: asyncio.AbstractEventLoop) -> None:
        self.fd = fd
        self.on_ezsp = on_ezsp
        self.on_reset: Any = None
        self.faults = faults
        self.loop = loop
        self.decoder = ash.AshDecoder()
        self.rx_seq = 0
        self.tx_seq = 0
        self.queue: deque[_Outgoing] = deque()
        self.inflight: _Outgoing | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.connected = False
        self.stats = {"rx_data": 0, "tx_data": 0, "naks_sent": 0, "naks_received": 0, "retransmits": 0, "resets": 0}
        loop.add_reader(fd, self._readable)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.loop.remove_reader(self.fd)
        if self.timer:
            self.timer.cancel()

    # ------------------------------------------------------------------ bytes

    def write(self, data: bytes) -> None:
        try:
            os.write(self.fd, data)
        except OSError as exc:  # host side gone or buffer full: the line drops it
            LOG.debug("pty write failed: %s", exc)

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            return
        before = len(self.decoder.errors)
        frames = self.decoder.feed(data)
        for raw, _reason in self.decoder.errors[before:]:
            self._bad_frame(raw)
        for frame in frames:
            self._frame(frame)

    def _bad_frame(self, raw: bytes) -> None:
        try:
            first = ash.unstuff(raw)[:1]
        except ash.AshError:
            first = raw[:1]
        if self.connected and first and first[0] & 0x80 == 0:
            self._send_control(ash.nak(self.rx_seq))
            self.stats["naks_sent"] += 1

    def _send_control(self, frame: ash.Frame) -> None:
        self.write(ash.encode(frame))

    # ------------------------------------------------------------------ frames

    def _frame(self, frame: ash.Frame) -> None:
        if frame.kind == "RST":
            self.reset_link()
            self._send_control(ash.rstack(ash.RESET_SOFTWARE))
            return
        if not self.connected:
            return
        if frame.kind in ("DATA", "ACK", "NAK"):
            self._acked(frame.ack_num)
        if frame.kind == "DATA":
            self._data(frame)
        elif frame.kind == "NAK":
            self.stats["naks_received"] += 1
            if self.inflight is not None:
                self._transmit(retransmit=True)

    def _data(self, frame: ash.Frame) -> None:
        if frame.frm_num != self.rx_seq:
            if frame.re_tx:
                self._send_control(ash.ack(self.rx_seq))
            else:
                self._send_control(ash.nak(self.rx_seq))
                self.stats["naks_sent"] += 1
            return
        if self.faults.nak_rx > 0:
            self.faults.nak_rx -= 1
            self._send_control(ash.nak(self.rx_seq))
            self.stats["naks_sent"] += 1
            return
        self.rx_seq = (self.rx_seq + 1) % 8
        self.stats["rx_data"] += 1
        self._send_control(ash.ack(self.rx_seq))
        self.on_ezsp(frame.data)

    def _acked(self, ack_num: int) -> None:
        if self.inflight is not None and ack_num == (self.inflight.frm_num + 1) % 8:
            self.inflight = None
            if self.timer:
                self.timer.cancel()
                self.timer = None
            self._pump()

    def reset_link(self) -> None:
        self.rx_seq = self.tx_seq = 0
        self.queue.clear()
        self.inflight = None
        if self.timer:
            self.timer.cancel()
            self.timer = None
        self.connected = True
        self.stats["resets"] += 1
        if self.on_reset is not None:
            self.on_reset()

    # ------------------------------------------------------------------ sending

    def send(self, ezsp_frame: bytes) -> None:
        if len(ezsp_frame) > 220:
            LOG.warning("EZSP frame of %d bytes is too long for ASH, not sent", len(ezsp_frame))
            return
        self.queue.append(_Outgoing(ezsp_frame))
        self._pump()

    def _pump(self) -> None:
        if self.inflight is None and self.queue and self.connected:
            self.inflight = self.queue.popleft()
            self.inflight.frm_num = self.tx_seq
            self.tx_seq = (self.tx_seq + 1) % 8
            self._transmit(retransmit=False)

    def _transmit(self, *, retransmit: bool) -> None:
        out = self.inflight
        assert out is not None
        if self.timer:
            self.timer.cancel()
        out.tries += 1
        if retransmit:
            self.stats["retransmits"] += 1
        if out.tries > MAX_RETRIES + 1:  # give up on this frame, as a failing NCP would
            LOG.debug("dropping EZSP frame after %d tries", out.tries - 1)
            self.inflight = None
            self._pump()
            return
        wire = ash.encode(ash.data_frame(out.frm_num, self.rx_seq, out.ezsp, re_tx=retransmit))
        self.stats["tx_data"] += 1
        if self.faults.drop_tx > 0:
            self.faults.drop_tx -= 1
        elif self.faults.corrupt_tx > 0:
            self.faults.corrupt_tx -= 1
            self.write(_damage(wire))
        else:
            self.write(wire)
        self.timer = self.loop.call_later(ACK_TIMEOUT, self._timeout)

    def _timeout(self) -> None:
        self.timer = None
        if self.inflight is not None:
            self._transmit(retransmit=True)

    def spontaneous_reset(self, code: int = ash.RESET_SOFTWARE) -> None:
        """The NCP reboots on its own and announces it with RSTACK."""
        self.reset_link()
        self._send_control(ash.rstack(code))


class FakeNcp:
    """A fake NCP hosting emulated premises; ``start()`` in a loop or ``start_thread()`` on its own."""

    def __init__(self, premises: Any = None, *, version: int = 13, formed: bool = False,
                 link: str | os.PathLike[str] | None = None, codes: dict[bytes, bytes] | None = None,
                 ke_backend: Any = None) -> None:
        self.premises = premises
        self.version = version
        self.faults = Faults()
        self._link_dir: tempfile.TemporaryDirectory[str] | None = None
        if link is None:
            self._link_dir = tempfile.TemporaryDirectory(prefix="smetsim-ncp-")
            link = Path(self._link_dir.name) / "ttyEZSP"
        self.path = str(link)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pty: PtyPair | None = None
        self.link: AshNcp | None = None
        self.air = VirtualAir(premises, self._emit, codes=codes, ke_backend=ke_backend) \
            if premises is not None else None
        self.ezsp = EzspServer(version, self.air, self._send, formed=formed, schedule=self._schedule)
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    # ------------------------------------------------------------------ plumbing

    def _send(self, frame: bytes) -> None:
        if self.link is not None:
            self.link.send(frame)

    def _emit(self, src: int, aps: Aps, payload: bytes, broadcast: bool) -> None:
        self.ezsp.incoming(src, aps, payload, broadcast)

    def _schedule(self, delay: float, fn: Any) -> Any:
        assert self.loop is not None
        return self.loop.call_later(delay, fn)

    def _open_port(self) -> None:
        assert self.loop is not None
        self.pty = PtyPair.open()
        tmp = self.path + ".new"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.symlink(self.pty.path, tmp)
        os.replace(tmp, self.path)
        self.link = AshNcp(self.pty.master, self.ezsp.frame_received, self.faults, self.loop)

    def _close_port(self) -> None:
        if self.link is not None:
            self.link.close()
            self.link = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        if self.pty is not None:
            self.pty.close()
            self.pty = None

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> str:
        """Open the pty in the running loop; returns the path the host opens."""
        self.loop = asyncio.get_running_loop()
        self._open_port()
        return self.path

    async def stop(self) -> None:
        self._close_port()
        if self._link_dir is not None:
            self._link_dir.cleanup()
            self._link_dir = None

    def start_thread(self) -> str:
        """Run the NCP in a daemon thread with its own event loop; returns the path."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()
            self._stopped.set()

        self._thread = threading.Thread(target=run, name="fake-ncp", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self.path

    def stop_thread(self) -> None:
        if self.loop is not None and self._thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._stopped.wait(10)
            self._thread = None

    def call(self, fn: Any, *args: Any) -> None:
        """Run ``fn(*args)`` in the NCP's loop (thread-safe)."""
        assert self.loop is not None
        self.loop.call_soon_threadsafe(fn, *args)

    # ------------------------------------------------------------------ faults

    def drop_next(self, count: int = 1) -> None:
        self.faults.drop_tx += count

    def corrupt_next(self, count: int = 1) -> None:
        self.faults.corrupt_tx += count

    def nak_next(self, count: int = 1) -> None:
        self.faults.nak_rx += count

    def garbage(self, data: bytes = b"\x42\x13\x99\x7d\x7e") -> None:
        """Noise on the line towards the host."""
        self.call(lambda: self.link.write(data) if self.link else None)

    def reset(self, code: int = ash.RESET_SOFTWARE) -> None:
        """A spontaneous NCP reset (network and joined devices survive, as in NV memory)."""
        self.call(lambda: self.link.spontaneous_reset(code) if self.link else None)

    def port_loss(self, seconds: float = 1.0) -> None:
        """The port disappears (USB unplug) and comes back under the same path after ``seconds``."""
        def lose() -> None:
            self._close_port()
            assert self.loop is not None
            self.loop.call_later(seconds, self._open_port)

        self.call(lose)

    def port_loss_during_delivery(self, seconds: float = 1.0, after_fragments: int = 0) -> None:
        """Lose the port when the next command reaches fragment ``after_fragments`` (that fragment is lost)."""
        def intercept(node: Any, index: int) -> bool:
            if index != after_fragments or self.air is None:
                return False
            self.air.intercept = None
            assert self.loop is not None
            self.loop.call_soon(self._close_port)
            self.loop.call_later(seconds, self._open_port)
            return True

        def arm() -> None:
            if self.air is not None:
                self.air.intercept = intercept

        self.call(arm)

    @property
    def stats(self) -> dict[str, int]:
        return dict(self.link.stats) if self.link is not None else {}
