"""Who may use the web UI and the DUIS API: API keys (stored hashed), accounts and browser sessions.

* An *account* is a User ID (an EUI-64): a Production Proving identity when it lies in the PP
  range, a (test) User otherwise; the DCC operator's account is ``"DCC"``.  PP and User
  accounts are kinds apart: a User account can never act as a PP identity, and PP pages and
  the PP signing form are closed to it.
* Each account has one API key: 32 random bytes (URL-safe text) shown once when generated.
  The :class:`KeyRing` keeps only ``sha256$salt$digest`` and compares in constant time.
* The browser logs in with its key and gets a session cookie (random, HttpOnly,
  SameSite=Strict) plus a per-session CSRF token that every form posts back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from proving.eui import EuiRange, eui_str
from proving.pp_ids import DEFAULT_PP_RANGE

OPERATOR = "DCC"
SESSION_COOKIE = "smetsim_session"
SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True, slots=True)
class Account:
    """A logged-in identity: ``kind`` is "pp", "user" or "dcc" (the operator); ``eui`` its User ID."""

    eui: str | None
    kind: str

    @property
    def name(self) -> str:
        return "DCC operator" if self.kind == "dcc" else f"{self.eui} ({'PP' if self.kind == 'pp' else 'User'})"

    @property
    def is_operator(self) -> bool:
        return self.kind == "dcc"

    @property
    def is_pp(self) -> bool:
        return self.kind == "pp"


def account_for(identity: str, pp_range: EuiRange = DEFAULT_PP_RANGE) -> Account:
    """The account of a configured identity: ``"DCC"`` or a User ID (any EUI-64 spelling)."""
    if identity.strip().upper() == OPERATOR:
        return Account(None, "dcc")
    eui = eui_str(identity)
    return Account(eui, "pp" if eui in pp_range else "user")


def hash_key(key: str, salt: str | None = None) -> str:
    """``sha256$salt$hexdigest`` of an API key (keys are random, so one round of SHA-256 suffices)."""
    salt = salt or secrets.token_hex(8)
    return f"sha256${salt}${hashlib.sha256((salt + key).encode()).hexdigest()}"


def _matches(key: str, stored: str) -> bool:
    try:
        scheme, salt, _ = stored.split("$")
    except ValueError:
        return False
    return scheme == "sha256" and hmac.compare_digest(hash_key(key, salt), stored)


class KeyRing:
    """API key hashes per identity ("DCC" or a User ID); plaintext keys are never kept."""

    def __init__(self, hashes: Mapping[str, str], pp_range: EuiRange = DEFAULT_PP_RANGE) -> None:
        self.pp_range = pp_range
        self._hashes = {self._identity(k): v for k, v in hashes.items()}

    @staticmethod
    def _identity(identity: str) -> str:
        return OPERATOR if identity.strip().upper() == OPERATOR else eui_str(identity)

    @classmethod
    def from_plain(cls, keys: Mapping[str, str], pp_range: EuiRange = DEFAULT_PP_RANGE) -> KeyRing:
        """Hash the given plaintext keys (identity -> key)."""
        return cls({identity: hash_key(key) for identity, key in keys.items()}, pp_range)

    @classmethod
    def generate(cls, identities: Iterable[str],
                 pp_range: EuiRange = DEFAULT_PP_RANGE) -> tuple[KeyRing, dict[str, str]]:
        """Fresh keys for ``identities``: the ring and the plaintext keys (show them once)."""
        plain = {cls._identity(i): secrets.token_urlsafe(32) for i in identities}
        return cls.from_plain(plain, pp_range), plain

    @classmethod
    def load(cls, path: str | Path, pp_range: EuiRange = DEFAULT_PP_RANGE) -> KeyRing:
        """Read ``{"identity": "sha256$salt$digest"}`` (JSON)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ValueError(f"{path}: expected a JSON object of identity -> key hash")
        return cls(data, pp_range)

    def save(self, path: str | Path) -> None:
        """Write the hashes (never the keys), readable by the owner only."""
        target = Path(path)
        target.write_text(json.dumps(self._hashes, indent=1) + "\n", encoding="utf-8")
        os.chmod(target, 0o600)

    def authenticate(self, key: str) -> Account | None:
        """The account whose key this is, or None."""
        if not key or len(key) > 256:
            return None
        found = None
        for identity, stored in self._hashes.items():  # no early exit: same work for every key
            if _matches(key, stored):
                found = identity
        return account_for(found, self.pp_range) if found else None

    def identities(self) -> list[str]:
        return list(self._hashes)


def load_or_create_keys(path: str | Path, identities: Iterable[str],
                        pp_range: EuiRange = DEFAULT_PP_RANGE) -> tuple[KeyRing, dict[str, str]]:
    """The key ring stored at ``path``; when there is none, fresh keys for ``identities`` are made and
    their hashes saved there.  Returns the ring and the new plaintext keys (empty when loaded): show them once."""
    target = Path(path)
    if target.is_file():
        return KeyRing.load(target, pp_range), {}
    ring, plain = KeyRing.generate(identities, pp_range)
    target.parent.mkdir(parents=True, exist_ok=True)
    ring.save(target)
    return ring, plain


@dataclass(slots=True)
class Session:
    """One browser session."""

    account: Account
    csrf: str
    expires: float
    flash: list[tuple[str, str]] = field(default_factory=list)  # (level, text) shown on the next page


class Sessions:
    """Server-side sessions keyed by a random cookie value."""

    def __init__(self, lifetime: float = SESSION_SECONDS) -> None:
        self.lifetime = lifetime
        self._sessions: dict[str, Session] = {}

    def open(self, account: Account) -> str:
        token = secrets.token_urlsafe(32)
        self._sessions[token] = Session(account, secrets.token_urlsafe(24), time.time() + self.lifetime)
        return token

    def get(self, token: str | None) -> Session | None:
        session = self._sessions.get(token or "")
        if session is None:
            return None
        if session.expires < time.time():
            self._sessions.pop(token or "", None)
            return None
        return session

    def close(self, token: str | None) -> None:
        self._sessions.pop(token or "", None)
