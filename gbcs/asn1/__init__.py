"""ASN.1 DER payload codec for GBCS (security credentials, joins, firmware, GPF clock and log)."""

from .codec import ASN1_MESSAGE_CODES, decode_asn1, encode_asn1, encrypted_elements

__all__ = ["ASN1_MESSAGE_CODES", "decode_asn1", "encode_asn1", "encrypted_elements"]
