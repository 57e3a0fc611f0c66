"""Use-case handlers, one module per family; importing this package registers them all."""

from . import (  # noqa: F401
    alert_behaviour,
    apc,
    asn1_clock,
    asn1_credentials,
    asn1_device_certs,
    asn1_firmware,
    asn1_join,
    dlms_access,
    gbz_zcl,
)
