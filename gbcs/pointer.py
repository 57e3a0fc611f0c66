"""JSON pointers (RFC 6901) into decoded message trees, as used by ``decrypted[].path``."""

from __future__ import annotations

from typing import Any


def set_pointer(tree: Any, pointer: str, value: Any) -> None:
    """Replace the value at ``pointer`` (e.g. ``/data/0/value/1/value``) inside ``tree``.

    Raises KeyError, IndexError, ValueError or TypeError when the pointer names nothing.
    """
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must start with /")
    parts = [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]
    node = tree
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
