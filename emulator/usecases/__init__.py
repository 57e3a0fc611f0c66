"""Use-case handlers, one module per family; importing this package registers them all."""

from . import dlms_access  # noqa: F401
