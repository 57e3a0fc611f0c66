"""Consumer and site publishes (GCS07 message, GCS09 tenancy, GCS11 PIN, GCS36 CIN, GCS41 MPRN, GCS44 supplier name)."""

from __future__ import annotations

from lxml import etree

from . import xml_values as xv
from .gcs_helpers import (
    DEVICE_MANAGEMENT,
    FC_SERVER,
    MESSAGING,
    NOW,
    PRINTABLE,
    ascii_hex,
    component,
    gbz_payload,
    issuer_id,
    utc_seconds,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

# Proposed Tenancy Change Control: restrict access to data from before the change of tenancy
RESTRICT_HISTORICAL_DATA = 0x00000200


@transform_for("GCS09")
def restrict_access_for_change_of_tenancy(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS09: Publish Change of Tenancy at the GPF, effective at the RestrictionDateTime."""
    when = xv.date_time(body, "RestrictionDateTime", ctx.use_case)
    assert when is not None
    fields = {"provider_id": 0, "issuer_event_id": issuer_id(ctx), "tariff_type": 0,
              "implementation_date_time": utc_seconds(when, ctx.use_case, "RestrictionDateTime"),
              "proposed_tenancy_change_control": RESTRICT_HISTORICAL_DATA}
    return gbz_payload(ctx, [component(DEVICE_MANAGEMENT, FC_SERVER, 0x00, fields=fields)])


# Provider Change Control: replace the supplier name and the supplier contact details shown to the consumer
REPLACE_NAME_AND_CONTACT = 0x00001800


@transform_for("GCS44")
def update_supplier_name(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS44: Publish Change of Supplier carrying the new supplier name and telephone number, effective now."""
    uc = ctx.use_case
    fields = {"current_provider_id": 0, "issuer_event_id": issuer_id(ctx), "tariff_type": 0,
              "proposed_provider_id": 0, "provider_change_implementation_time": NOW,
              "provider_change_control": REPLACE_NAME_AND_CONTACT,
              "proposed_provider_name": ascii_hex(body, "SupplierName", uc, PRINTABLE, 15),
              "proposed_provider_contact_details": ascii_hex(body, "SupplierTelephoneNumber", uc, "0123456789 ",
                                                              18)}
    return gbz_payload(ctx, [component(DEVICE_MANAGEMENT, FC_SERVER, 0x01, fields=fields)])


@transform_for("GCS36")
def request_customer_identification_number(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS36: Publish the Customer ID Number the DCC generated (``ctx.extra["customer_identification_number"]``)."""
    cin = str(ctx.extra.get("customer_identification_number", ""))
    if len(cin) != 4 or not cin.isdigit():
        raise TransformError(ctx.use_case, "customer_identification_number: the DCC's 4-digit CIN is required")
    fields = {"issuer_event_id": issuer_id(ctx), "implementation_time": NOW, "provider_id": 0,
              "customer_id_number": cin.encode("ascii").hex().upper()}
    return gbz_payload(ctx, [component(DEVICE_MANAGEMENT, FC_SERVER, 0x06, fields=fields)])


MESSAGE_UNTIL_REPLACED = 0xFFFF  # Display Message duration: until the next message
NORMAL_MESSAGE = 0x00  # message control: normal transmission, normal importance, no confirmation


@transform_for("GCS07")
def display_message(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS07: Display Message now (the DSP holds future-dated requests), shown until replaced."""
    fields = {"message_id": issuer_id(ctx), "message_control": NORMAL_MESSAGE, "start_time": NOW,
              "duration_in_minutes": MESSAGE_UNTIL_REPLACED,
              "message": ascii_hex(body, "SupplierMessage", ctx.use_case, PRINTABLE, 116)}
    return gbz_payload(ctx, [component(MESSAGING, FC_SERVER, 0x00, fields=fields)])


CONSUMER_PIN = 0x02  # ZCL password type


@transform_for("GCS11")
def disable_privacy_pin(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS11: Set Password with an empty consumer PIN (no PIN protection), now."""
    fields = {"issuer_event_id": issuer_id(ctx), "implementation_date_time": NOW, "duration_in_minutes": 0,
              "password_type": CONSUMER_PIN, "password": ""}
    return gbz_payload(ctx, [component(DEVICE_MANAGEMENT, FC_SERVER, 0x02, fields=fields)])


@transform_for("GCS41")
def set_import_mprn(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS41: Publish Site ID carrying the MPRN, now (the DSP holds future-dated requests)."""
    uc = ctx.use_case
    if xv.elements(body, "ImportMPANs"):
        raise TransformError(uc, "ImportMPANs: an electricity MPAN for a gas meter")
    fields = {"issuer_event_id": issuer_id(ctx), "site_id_time": NOW, "provider_id": 0,
              "site_id": ascii_hex(body, "ImportMPRN", uc, "0123456789", 10)}
    return gbz_payload(ctx, [component(DEVICE_MANAGEMENT, FC_SERVER, 0x03, fields=fields)])
