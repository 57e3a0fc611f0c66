"""Emulated devices behind a pseudo-terminal (or a TCP socket) speaking the serial bridge's framing.

:class:`FakeMeter` serves an :class:`~proving.premises.EmulatedPremises` — the default
devices, or a given set — over one end of a pty pair; the bridge opens the other end by
its path.  Each DATA frame is delivered to its recipient and answered with the response
(DATA), the alerts (ALERT) and DONE; IDENT is answered with one DEVICE frame per device and
DONE.  :func:`premises_over` builds the devices from a PKI the DCC made, so both sides
share the keys.

Fault injection (:class:`Faults`, and at run time :meth:`FakeMeter.lose_port` and
:attr:`FakeMeter.silent`): outgoing bytes dropped or corrupted at random (seeded), a meter
that reads but never answers, and port loss: the pty is closed (its path disappears) and a
new one appears after a pause, under the same ``link`` path when one was given.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import socket
import threading
import time
import tty
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from gbcs.errors import DecodeError
from gbcs.framing import parse_frame
from proving.premises import DEFAULT_DEVICES, EmulatedPremises
from smetsim.keys.pki import CA_DIR, issue_device

from .serial_framing import Codec, codec
from .transport import DeviceInfo, Frame, Kind, Status, done_frame

WRITE_STALL = 2.0  # seconds a blocked write may wait before the rest of the output is dropped


# ---------------------------------------------------------------------- devices


class SharedPkiPremises(EmulatedPremises):
    """EmulatedPremises over an existing PKI directory (never overwritten; missing device keys are added)."""

    def __init__(self, pki_dir: str | Path, *, start: datetime | None = None, seed: int = 0,
                 devices: tuple[tuple[str, str, str, str], ...] = DEFAULT_DEVICES) -> None:
        for eui_text, *_ in devices:
            if not (Path(pki_dir) / f"{eui_text.lower()}-ds.key").is_file():
                issue_device(pki_dir, bytes.fromhex(eui_text))
        super().__init__(pki_dir, start=start, seed=seed, devices=devices, reuse_pki=True)


def premises_over(pki_dir: str | Path, *, start: datetime | None = None, seed: int = 0,
                  devices: tuple[tuple[str, str, str, str], ...] = DEFAULT_DEVICES) -> EmulatedPremises:
    """Emulated premises keyed from ``pki_dir``: its PKI when there is one (made by the DCC), else a new one."""
    if (Path(pki_dir) / CA_DIR / "root.pem").is_file():
        return SharedPkiPremises(pki_dir, start=start, seed=seed, devices=devices)
    return EmulatedPremises(pki_dir, start=start, seed=seed, devices=devices)


def inventory(premises: EmulatedPremises) -> list[DeviceInfo]:
    """The premises' devices as the bridge sees them."""
    return [DeviceInfo(eui, entry.device_type, entry.device.profile.name, entry.fuel)
            for eui, entry in premises.devices.items()]


def answer(premises: EmulatedPremises, frame: Frame) -> list[Frame]:
    """The frames a meter sends back for one received frame."""
    if frame.kind is Kind.IDENT:
        return [*(info.to_frame() for info in inventory(premises)), done_frame(Status.ANSWERED)]
    if frame.kind is not Kind.DATA:
        return []
    try:
        counter: int | None = parse_frame(frame.payload).counter
    except DecodeError:
        counter = None
    delivery = premises.deliver(frame.payload)
    out = [Frame(Kind.DATA, delivery.response)] if delivery.response is not None else []
    out.extend(Frame(Kind.ALERT, alert) for alert in delivery.alerts)
    status = (Status.ANSWERED if delivery.response is not None
              else Status.NO_RESPONSE if delivery.reachable else Status.UNKNOWN_DEVICE)
    return [*out, done_frame(status, counter)]


# ---------------------------------------------------------------------- faults


@dataclass(slots=True)
class Faults:
    """Byte-level faults on the meter's output (a pty has no line to disturb, so they are injected here)."""

    drop_rate: float = 0.0  # probability that an outgoing byte is lost
    corrupt_rate: float = 0.0  # probability that an outgoing byte is changed
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def apply(self, data: bytes) -> bytes:
        if not (self.drop_rate or self.corrupt_rate):
            return data
        out = bytearray()
        for byte in data:
            if self._rng.random() < self.drop_rate:
                continue
            if self._rng.random() < self.corrupt_rate:
                byte ^= self._rng.randint(1, 255)
            out.append(byte)
        return bytes(out)


# ---------------------------------------------------------------------- endpoints


class Endpoint(Protocol):
    path: str

    def open(self) -> None: ...

    def close(self) -> None: ...

    def wait_readable(self, timeout: float) -> bool: ...

    def read(self) -> bytes: ...

    def write(self, data: bytes) -> None: ...


def _write_all(fd: int, data: bytes) -> None:
    """Write to a non-blocking fd; give up on what is left after WRITE_STALL seconds of a full buffer."""
    view = memoryview(data)
    deadline = time.monotonic() + WRITE_STALL
    while view and time.monotonic() < deadline:
        _, ready, _ = select.select([], [fd], [], 0.05)
        if not ready:
            continue
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            continue
        except OSError:
            return


class PtyEndpoint:
    """The master side of a pty pair; the slave (kept open, raw) is what clients open by path."""

    def __init__(self, link: str | Path | None = None) -> None:
        self.link = Path(link) if link else None
        self.path = ""
        self._fds: tuple[int, int] | None = None

    def open(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._fds = (master, slave)
        name = os.ttyname(slave)
        if self.link is not None:
            tmp = self.link.with_name(f".{self.link.name}.{os.getpid()}.tmp")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(name)
            os.replace(tmp, self.link)
            self.path = str(self.link)
        else:
            self.path = name

    def close(self) -> None:
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
        fds, self._fds = self._fds, None
        for fd in fds or ():
            with contextlib.suppress(OSError):
                os.close(fd)

    def wait_readable(self, timeout: float) -> bool:
        if self._fds is None:
            time.sleep(timeout)
            return False
        return bool(select.select([self._fds[0]], [], [], timeout)[0])

    def read(self) -> bytes:
        if self._fds is None:
            return b""
        try:
            return os.read(self._fds[0], 4096)
        except (BlockingIOError, OSError):
            return b""

    def write(self, data: bytes) -> None:
        if self._fds is not None:
            _write_all(self._fds[0], data)


class TcpEndpoint:
    """A TCP server on 127.0.0.1 for ``socket://`` URLs: one client at a time, same port after a loss."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.path = ""
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self.path = f"socket://127.0.0.1:{self.port}"

    def close(self) -> None:
        for sock in (self._conn, self._listener):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        self._conn = self._listener = None

    def wait_readable(self, timeout: float) -> bool:
        if self._conn is None:
            if self._listener is None or not select.select([self._listener], [], [], timeout)[0]:
                return False
            self._conn, _ = self._listener.accept()
            self._conn.setblocking(False)
            return False
        return bool(select.select([self._conn], [], [], timeout)[0])

    def read(self) -> bytes:
        if self._conn is None:
            return b""
        try:
            data = self._conn.recv(4096)
        except BlockingIOError:
            return b""
        except OSError:
            data = b""
        if not data:  # the client went away: wait for the next one
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None
        return data

    def write(self, data: bytes) -> None:
        if self._conn is not None:
            _write_all(self._conn.fileno(), data)


# ---------------------------------------------------------------------- the meter


class FakeMeter:
    """Emulated devices behind an endpoint (see the module text); :meth:`start` runs it in a thread."""

    def __init__(self, premises: EmulatedPremises, *, framing: str | Codec = "binary",
                 endpoint: Endpoint | None = None, faults: Faults | None = None,
                 lose_after: int | None = None, down_for: float = 0.3) -> None:
        self.premises = premises
        self.codec = codec(framing) if isinstance(framing, str) else framing
        self.endpoint = endpoint or PtyEndpoint()
        self.faults = faults or Faults()
        self.silent = False  # read commands, never answer
        self.lose_after = lose_after  # lose the port on receiving this command (1-based), before answering
        self.down_for = down_for
        self.commands = 0
        self.losses = 0
        self.errors: list[str] = []  # exceptions the emulated devices raised, and failed re-opens
        self._stop = threading.Event()
        self._lose = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def path(self) -> str:
        return self.endpoint.path

    def start(self) -> str:
        """Open the endpoint and serve in a daemon thread; returns the path (or URL) clients open."""
        self.endpoint.open()
        self._thread = threading.Thread(target=self._serve, name="fake-meter", daemon=True)
        self._thread.start()
        return self.path

    def run(self, stop: threading.Event) -> None:
        """Serve in this thread until ``stop`` is set (the endpoint must be open)."""
        self._stop = stop
        self._serve()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.endpoint.close()

    def lose_port(self, down_for: float | None = None) -> None:
        """Close the port now; it comes back after ``down_for`` seconds (default: the meter's)."""
        if down_for is not None:
            self.down_for = down_for
        self._lose.set()

    def _serve(self) -> None:
        decoder = self.codec.decoder()
        down_until: float | None = None
        while not self._stop.is_set():
            if self._lose.is_set():
                self._lose.clear()
                self.endpoint.close()
                self.losses += 1
                decoder.reset()
                down_until = time.monotonic() + self.down_for
            if down_until is not None:
                if time.monotonic() < down_until:
                    time.sleep(0.01)
                    continue
                try:
                    self.endpoint.open()
                except OSError as exc:  # e.g. the link's directory went away: try again later
                    self.errors.append(repr(exc))
                    down_until = time.monotonic() + max(self.down_for, 0.1)
                    continue
                down_until = None
            if not self.endpoint.wait_readable(0.05):
                continue
            for frame in decoder.feed(self.endpoint.read()):
                if frame.kind is Kind.DATA:
                    self.commands += 1
                    if self.lose_after is not None and self.commands == self.lose_after:
                        self._lose.set()
                        break
                if self.silent:
                    continue
                try:
                    replies = answer(self.premises, frame)
                except Exception as exc:  # noqa: BLE001 - an emulator fault must not stop the meter
                    self.errors.append(repr(exc))
                    replies = [done_frame(Status.NO_RESPONSE)]
                out = b"".join(self.codec.encode(f) for f in replies)
                if out:
                    self.endpoint.write(self.faults.apply(out))
