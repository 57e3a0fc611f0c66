"""Static-static ECDH on P-256 with a thread-safe cache of shared secrets (spec §2.2)."""

from __future__ import annotations

import threading

from cryptography.hazmat.primitives.asymmetric import ec

_ECDH = ec.ECDH()
_MAX_ENTRIES = 4096
# (private key, id(public key)) -> (public key, Z).  Holding the public key object keeps its
# id from being reused while the entry exists, so an id match plus an identity check is exact.
_cache: dict[tuple[ec.EllipticCurvePrivateKey, int], tuple[ec.EllipticCurvePublicKey, bytes]] = {}
_lock = threading.Lock()


def shared_secret(private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey) -> bytes:
    """Z: the 32-byte x-coordinate of d_A·Q_B, computed once per (private, public) key pair."""
    slot = (private_key, id(public_key))
    hit = _cache.get(slot)
    if hit is not None and hit[0] is public_key:
        return hit[1]
    z = private_key.exchange(_ECDH, public_key)
    with _lock:
        if len(_cache) >= _MAX_ENTRIES:
            _cache.clear()
        _cache[slot] = (public_key, z)
    return z


def clear_cache() -> None:
    """Forget every cached shared secret."""
    with _lock:
        _cache.clear()
