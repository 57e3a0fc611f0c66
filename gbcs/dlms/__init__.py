"""DLMS/COSEM payloads (ESME, CHF): A-XDR data and the GBCS access APDUs."""

from .apdu import decode_dlms, encode_dlms, encrypted_elements

__all__ = ["decode_dlms", "encode_dlms", "encrypted_elements"]
