"""A pseudo-terminal pair: the fake NCP serves the master end, the host opens the slave path."""

from __future__ import annotations

import os
import termios
import tty
from dataclasses import dataclass, field


@dataclass
class PtyPair:
    """``master`` is a non-blocking fd for the NCP side; ``path`` is what bellows opens."""

    master: int = -1
    slave: int = -1
    path: str = ""
    _closed: bool = field(default=False, repr=False)

    @classmethod
    def open(cls) -> PtyPair:
        """A raw pty; the slave fd stays open so the master never sees EOF between host sessions."""
        master, slave = os.openpty()
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        os.set_blocking(master, False)
        return cls(master, slave, os.ttyname(slave))

    def close(self) -> None:
        """Close both ends (the host then sees the port go away)."""
        if self._closed:
            return
        self._closed = True
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    @property
    def closed(self) -> bool:
        return self._closed
