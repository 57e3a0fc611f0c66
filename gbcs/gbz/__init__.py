"""GBZ payload codec: ZigBee Smart Energy ZCL as carried in GBCS (gbcs spec §3.2)."""

from .codec import decode_gbz, encode_gbz, encrypted_elements
from .zcl import decode_zcl_payload

__all__ = ["decode_gbz", "decode_zcl_payload", "encode_gbz", "encrypted_elements"]
