"""XML namespaces of DUIS 5.4 (from the XSD ``targetNamespace`` declarations) and qualified-name helpers."""

from __future__ import annotations

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
RA = "http://www.dccinterface.co.uk/ResponseAndAlert"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

PREFIXES: dict[str, str] = {"sr": SR, "ra": RA, "ds": DS, "xsi": XSI}
"""Conventional prefixes, as used by the DUIS templates and DCC Boxed."""

DUIS_NSMAP: dict[str | None, str] = {"sr": SR, "ds": DS}
"""Namespace declarations put on the root of every document this package builds."""


def sr(local: str) -> str:
    """Clark-notation name ``{SR}local`` of a ServiceUserGateway element."""
    return f"{{{SR}}}{local}"


def ds(local: str) -> str:
    """Clark-notation name ``{DS}local`` of an XML-DSig element."""
    return f"{{{DS}}}{local}"


def prefixed(clark: str) -> str:
    """``{SR}Header`` -> ``sr:Header``; names in unknown namespaces are returned unchanged."""
    for prefix, uri in PREFIXES.items():
        clark = clark.replace(f"{{{uri}}}", f"{prefix}:")
    return clark
