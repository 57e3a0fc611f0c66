"""Typed access to DUIS request body elements, with errors that name the element.

Paths are element names separated by ``/`` in the DUIS namespace (the ``sr:`` prefix is
implied), e.g. ``"PriceElements/StandingCharge"``.  Every reader raises
:class:`~.registry.TransformError` for a missing required element or a malformed value.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from .registry import DUIS_NS, TransformError

NS = {"sr": DUIS_NS}


def _xpath(path: str) -> str:
    return "/".join(f"sr:{part}" for part in path.split("/"))


def elements(parent: etree._Element, path: str) -> list[etree._Element]:
    """All elements at ``path`` below ``parent`` (document order)."""
    return parent.xpath(_xpath(path), namespaces=NS)


def element(parent: etree._Element, path: str, use_case: str, required: bool = True) -> etree._Element | None:
    """The element at ``path``; None when absent and not required."""
    found = elements(parent, path)
    if not found:
        if required:
            raise TransformError(use_case, f"missing element {path}")
        return None
    return found[0]


def text(parent: etree._Element, path: str, use_case: str, required: bool = True) -> str | None:
    """The stripped text of the element at ``path``."""
    found = element(parent, path, use_case, required)
    if found is None:
        return None
    return (found.text or "").strip()


def checked_integer(raw: str, where: str, use_case: str, minimum: int | None = None,
                    maximum: int | None = None) -> int:
    """``raw`` as an integer within ``minimum``..``maximum``; TransformError naming ``where`` otherwise."""
    try:
        number = int(raw)
    except ValueError:
        raise TransformError(use_case, f"{where}: {raw!r} is not an integer") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise TransformError(use_case, f"{where}: {number} is outside {minimum}..{maximum}")
    return number


def integer(parent: etree._Element, path: str, use_case: str, *, required: bool = True,
            minimum: int | None = None, maximum: int | None = None) -> int | None:
    """An integer element, checked against ``minimum`` / ``maximum`` when given."""
    value = text(parent, path, use_case, required)
    return None if value is None else checked_integer(value, path, use_case, minimum, maximum)


def boolean(parent: etree._Element, path: str, use_case: str, required: bool = True) -> bool | None:
    """An xs:boolean element."""
    value = text(parent, path, use_case, required)
    if value is None:
        return None
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise TransformError(use_case, f"{path}: {value!r} is not a boolean")


def hex_bytes(parent: etree._Element, path: str, use_case: str, required: bool = True,
              length: int | None = None) -> bytes | None:
    """An xs:hexBinary element (or an EUI-64 written with hyphens)."""
    value = text(parent, path, use_case, required)
    if value is None:
        return None
    try:
        data = bytes.fromhex(value.replace("-", ""))
    except ValueError:
        raise TransformError(use_case, f"{path}: {value!r} is not hexadecimal") from None
    if length is not None and len(data) != length:
        raise TransformError(use_case, f"{path}: {len(data)} octets, expected {length}")
    return data


def date_time(parent: etree._Element, path: str, use_case: str, required: bool = True) -> datetime | None:
    """An xs:dateTime element as an aware UTC datetime (no zone means UTC, as DUIS uses it)."""
    value = text(parent, path, use_case, required)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TransformError(use_case, f"{path}: {value!r} is not an xs:dateTime") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
