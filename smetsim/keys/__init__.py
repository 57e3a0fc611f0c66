"""Key material on disk: the key-store loader and the test PKI generator (``smetsim keys init``)."""

from __future__ import annotations

from .keystore import Keystore, KeystoreError, load_keystore, load_view

__all__ = ["Keystore", "KeystoreError", "load_keystore", "load_view"]
