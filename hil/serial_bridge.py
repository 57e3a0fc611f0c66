"""The serial bridge: a :class:`~hil.transport.Transport` over pyserial.

Ports are opened with :func:`serial.serial_for_url`, so a device path (``/dev/ttyUSB0``, a
pseudo-terminal), ``socket://host:port`` and ``rfc2217://host:port`` (ser2net) all work.
Every read and write has a timeout, so no call blocks forever; a read or write error (the
port vanished) raises :class:`~hil.transport.TransportLost` and :meth:`SerialTransport.reconnect`
reopens the same URL.  DTR and RTS are asserted on open (a pseudo-terminal has no
modem-control lines; pyserial ignores them there).
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import serial

from .serial_framing import Codec, Decoder, codec
from .transport import DEFAULT_POLICY, BridgedPremises, DeviceInfo, Frame, RetryPolicy, TransportLost

try:
    from termios import error as _TermiosError
except ImportError:  # not POSIX
    _TermiosError = OSError  # type: ignore[assignment,misc]

PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, _TermiosError)
READ_CHUNK = 4096
POLL = 0.05  # longest single blocking read, seconds (receive() may overrun its timeout by this much)


class SerialTransport:
    """Frames over one serial port (see the module text)."""

    def __init__(self, url: str, *, framing: str | Codec = "binary", baudrate: int = 115200,
                 write_timeout: float = 2.0, open_now: bool = True, **port_options: Any) -> None:
        self.url = url
        self.name = f"serial:{url}"
        self.codec = codec(framing) if isinstance(framing, str) else framing
        self.baudrate = baudrate
        self.write_timeout = write_timeout
        self.port_options = port_options
        self._decoder: Decoder = self.codec.decoder()
        self._pending: deque[Frame] = deque()
        self._port: serial.SerialBase | None = None
        if open_now:
            self.open()

    @property
    def is_open(self) -> bool:
        return self._port is not None and self._port.is_open

    def open(self) -> None:
        """Open the port (raises TransportLost when it cannot)."""
        try:
            port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=POLL,
                                         write_timeout=self.write_timeout, do_not_open=True, **self.port_options)
            port.dtr = True
            port.rts = True
            port.open()
        except (*PORT_ERRORS, ValueError) as exc:
            raise TransportLost(f"cannot open {self.url}: {exc}") from exc
        self._port = port
        self._decoder = self.codec.decoder()
        self._pending.clear()

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except PORT_ERRORS:
                pass

    def reconnect(self) -> None:
        self.close()
        self.open()

    def _require(self) -> serial.SerialBase:
        if self._port is None:
            raise TransportLost(f"{self.url} is closed")
        return self._port

    def send(self, frame: Frame) -> None:
        data = self.codec.encode(frame)
        port = self._require()
        try:
            written = port.write(data)
        except PORT_ERRORS as exc:  # includes SerialTimeoutException; a partial frame fails the device's checks
            self.close()
            raise TransportLost(f"write to {self.url} failed: {exc}") from exc
        if written is not None and written != len(data):
            self.close()
            raise TransportLost(f"short write to {self.url}: {written} of {len(data)} bytes")
        try:
            port.flush()
        except PORT_ERRORS as exc:  # the frame left us: the device may have it
            self.close()
            raise TransportLost(f"{self.url} lost after writing: {exc}", maybe_sent=True) from exc

    def receive(self, timeout: float) -> Frame | None:
        deadline = time.monotonic() + max(timeout, 0.0)
        while not self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            port = self._require()
            try:
                data = port.read(max(1, min(READ_CHUNK, port.in_waiting or 1)))
            except (*PORT_ERRORS, TypeError) as exc:
                self.close()
                raise TransportLost(f"read from {self.url} failed: {exc}") from exc
            if data:
                self._pending.extend(self._decoder.feed(data))
        return self._pending.popleft()

    def discard_input(self) -> None:
        port = self._require()
        try:
            port.reset_input_buffer()
        except PORT_ERRORS as exc:
            self.close()
            raise TransportLost(f"{self.url}: {exc}") from exc
        self._decoder.reset()
        self._pending.clear()


def serial_premises(url: str, *, framing: str = "binary", timeout: float = 5.0,
                    inventory: tuple[DeviceInfo, ...] = (), policy: RetryPolicy = DEFAULT_POLICY,
                    **options: Any) -> BridgedPremises:
    """A DeliveryTarget for the devices behind one serial URL (identified over the link unless given)."""
    transport = SerialTransport(url, framing=framing, **options)
    return BridgedPremises(transport, inventory=inventory, timeout=timeout, policy=policy)
