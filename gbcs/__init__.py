"""Pure GBCS core: framing, payload codecs and cryptography. No I/O happens in this package."""
