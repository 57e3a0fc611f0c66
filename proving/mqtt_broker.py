"""Broker URLs and the embedded broker (amqtt on 127.0.0.1) that ``smetsim mqtt-serve`` starts by default.

URLs: ``mqtt://[user[:password]@]host[:port]`` (port 1883) and ``mqtts://...`` (TLS, port
8883; ``?cafile=PATH`` trusts a private CA).  The embedded broker answers on a free loopback
port and needs a user name (any, no password): amqtt keeps QoS 1 messages for an offline
persistent session only when the session is not anonymous.  amqtt has no shared
subscriptions, drops a QoS 1 message that is not acknowledged within 5 s, and hands a
connecting persistent session the retained messages matching *anyone's* subscriptions (the
bridge ignores topics outside its map), so it suits tests and small loads; run Mosquitto (or
any broker cluster) for scale-out.
"""

from __future__ import annotations

import logging
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_USER = "smetsim"
PORTS = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    """Where a broker is and how to log in."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    cafile: str | None = None

    def __str__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :class:`aiomqtt.Client`."""
        kwargs: dict[str, Any] = {"hostname": self.host, "port": self.port,
                                  "username": self.username or DEFAULT_USER, "password": self.password,
                                  # QoS 1 is a ping-pong of small packets: Nagle + delayed ACK would add 40 ms
                                  "socket_options": [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]}
        if self.tls:
            kwargs["tls_context"] = ssl.create_default_context(cafile=self.cafile)
        return kwargs


def parse_broker_url(url: str) -> BrokerUrl:
    """Parse ``mqtt://`` / ``mqtts://`` URLs (see the module text)."""
    parts = urlsplit(url)
    if parts.scheme not in PORTS:
        raise ValueError(f"broker URL {url!r}: expected mqtt://host[:port] or mqtts://host[:port]")
    if not parts.hostname:
        raise ValueError(f"broker URL {url!r} has no host")
    try:
        port = parts.port or PORTS[parts.scheme]
    except ValueError:
        raise ValueError(f"broker URL {url!r}: bad port") from None
    cafile = parse_qs(parts.query).get("cafile", [None])[0]
    return BrokerUrl(parts.hostname, port, parts.scheme == "mqtts",
                     unquote(parts.username) if parts.username else None,
                     unquote(parts.password) if parts.password else None, cafile)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (on ``host``)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class EmbeddedBroker:
    """An amqtt broker in the running event loop, on 127.0.0.1 (``port=0``: a free port)."""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", quiet: bool = True) -> None:
        self.host = host
        self.port = port
        self._broker: Any = None
        if quiet:
            logging.getLogger("amqtt").setLevel(logging.ERROR)

    @property
    def url(self) -> BrokerUrl:
        return BrokerUrl(self.host, self.port, username=DEFAULT_USER)

    async def start(self) -> BrokerUrl:
        from amqtt.broker import Broker

        wanted = self.port
        for _ in range(5):  # a free port can be taken between the probe and the bind
            self.port = wanted or free_port(self.host)
            config = {"listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
                      "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": False}}}
            broker = Broker(config)
            try:
                await broker.start()
            except Exception:
                if wanted:
                    raise
                continue
            self._broker = broker
            return self.url
        raise OSError(f"could not start the embedded broker on {self.host}")

    async def stop(self) -> None:
        if self._broker is not None:
            broker, self._broker = self._broker, None
            await broker.shutdown()

    async def __aenter__(self) -> BrokerUrl:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
