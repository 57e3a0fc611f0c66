"""The key lookups the crypto layer needs, as plain callables, so gbcs never touches files."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.asymmetric import ec

PublicLookup = Callable[[bytes], ec.EllipticCurvePublicKey | None]
PrivateLookup = Callable[[bytes], ec.EllipticCurvePrivateKey | None]


class KeyUnavailable(LookupError):
    """A key needed to secure a message is not in the key store."""


def _nothing(eui: bytes) -> None:
    return None


def _not_device(eui: bytes) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class KeystoreView:
    """Lookups by 8-byte EUI-64.  Each returns a ``cryptography`` key object or None.

    ``is_device`` tells devices (whose commands are MAC'd device to device) from remote
    parties (whose commands the ACB MACs).  The returned key objects should be the same
    objects on every call, so the ECDH cache can recognise them.
    """

    ds_public: PublicLookup = _nothing
    ds_private: PrivateLookup = _nothing
    ka_public: PublicLookup = _nothing
    ka_private: PrivateLookup = _nothing
    pp_ka_public: PublicLookup = _nothing
    pp_ka_private: PrivateLookup = _nothing
    is_device: Callable[[bytes], bool] = _not_device

    @classmethod
    def from_keys(
        cls,
        *,
        ds: Mapping[bytes, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey] | None = None,
        ka: Mapping[bytes, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey] | None = None,
        pp_ka: Mapping[bytes, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey] | None = None,
        devices: set[bytes] | frozenset[bytes] = frozenset(),
    ) -> KeystoreView:
        """A view over in-memory keys: each mapping holds a private key (its public half is derived) or a public key."""

        def split(keys: Mapping[bytes, object] | None) -> tuple[PublicLookup, PrivateLookup]:
            pub: dict[bytes, ec.EllipticCurvePublicKey] = {}
            priv: dict[bytes, ec.EllipticCurvePrivateKey] = {}
            for eui, key in (keys or {}).items():
                if isinstance(key, ec.EllipticCurvePrivateKey):
                    priv[bytes(eui)] = key
                    pub[bytes(eui)] = key.public_key()
                elif isinstance(key, ec.EllipticCurvePublicKey):
                    pub[bytes(eui)] = key
                else:
                    raise TypeError(f"not an EC key: {type(key).__name__}")
            return pub.get, priv.get

        ds_pub, ds_priv = split(ds)
        ka_pub, ka_priv = split(ka)
        pp_pub, pp_priv = split(pp_ka)
        device_set = frozenset(bytes(d) for d in devices)
        return cls(ds_pub, ds_priv, ka_pub, ka_priv, pp_pub, pp_priv, device_set.__contains__)

    def with_ka_public(self, eui: bytes, public_key: ec.EllipticCurvePublicKey) -> KeystoreView:
        """This view plus one KA public key, e.g. an unknown remote party's certificate from a URP command."""
        base = self.ka_public
        eui = bytes(eui)

        def lookup(wanted: bytes) -> ec.EllipticCurvePublicKey | None:
            return public_key if wanted == eui else base(wanted)

        return replace(self, ka_public=lookup)
