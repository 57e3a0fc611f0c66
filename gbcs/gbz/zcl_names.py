"""Names for the ZigBee Smart Energy ZCL as GBCS uses it: clusters, attributes, commands, statuses.

Pure lookup data for annotations; the codec never needs a name to encode.  Attribute
entries are ``(name, expected data type id or None, unit or None)``.  Command tables
are keyed by ``(cluster, direction)`` with direction 0 = client to server and
1 = server to client (ZCL frame-control bit 3).
"""

from __future__ import annotations

CLUSTERS: dict[int, str] = {
    0x0000: "Basic",
    0x000A: "Time",
    0x0700: "Price",
    0x0702: "Metering",
    0x0703: "Messaging",
    0x0704: "Tunneling",
    0x0705: "Prepayment",
    0x0707: "Calendar",
    0x0708: "Device Management",
    0x0709: "Events",
}

STATUS: dict[int, str] = {
    0x00: "SUCCESS",
    0x01: "FAILURE",
    0x7E: "NOT_AUTHORIZED",
    0x7F: "RESERVED_FIELD_NOT_ZERO",
    0x80: "MALFORMED_COMMAND",
    0x81: "UNSUP_CLUSTER_COMMAND",
    0x82: "UNSUP_GENERAL_COMMAND",
    0x83: "UNSUP_MANUF_CLUSTER_COMMAND",
    0x84: "UNSUP_MANUF_GENERAL_COMMAND",
    0x85: "INVALID_FIELD",
    0x86: "UNSUPPORTED_ATTRIBUTE",
    0x87: "INVALID_VALUE",
    0x88: "READ_ONLY",
    0x89: "INSUFFICIENT_SPACE",
    0x8A: "DUPLICATE_EXISTS",
    0x8B: "NOT_FOUND",
    0x8C: "UNREPORTABLE_ATTRIBUTE",
    0x8D: "INVALID_DATA_TYPE",
    0x8E: "INVALID_SELECTOR",
    0x8F: "WRITE_ONLY",
    0x90: "INCONSISTENT_STARTUP_STATE",
    0x91: "DEFINED_OUT_OF_BAND",
    0x92: "INCONSISTENT",
    0x93: "ACTION_DENIED",
    0x94: "TIMEOUT",
    0x95: "ABORT",
    0x96: "INVALID_IMAGE",
    0x97: "WAIT_FOR_DATA",
    0x98: "NO_IMAGE_AVAILABLE",
    0x99: "REQUIRE_MORE_IMAGE",
    0x9A: "NOTIFICATION_PENDING",
    0xC0: "HARDWARE_FAILURE",
    0xC1: "SOFTWARE_FAILURE",
    0xC2: "CALIBRATION_ERROR",
    0xC3: "UNSUPPORTED_CLUSTER",
}

PROFILE_COMMANDS: dict[int, str] = {
    0x00: "ReadAttributes",
    0x01: "ReadAttributesResponse",
    0x02: "WriteAttributes",
    0x03: "WriteAttributesUndivided",
    0x04: "WriteAttributesResponse",
    0x05: "WriteAttributesNoResponse",
    0x06: "ConfigureReporting",
    0x07: "ConfigureReportingResponse",
    0x08: "ReadReportingConfiguration",
    0x09: "ReadReportingConfigurationResponse",
    0x0A: "ReportAttributes",
    0x0B: "DefaultResponse",
    0x0C: "DiscoverAttributes",
    0x0D: "DiscoverAttributesResponse",
    0x0E: "ReadAttributesStructured",
    0x0F: "WriteAttributesStructured",
    0x10: "WriteAttributesStructuredResponse",
    0x11: "DiscoverCommandsReceived",
    0x12: "DiscoverCommandsReceivedResponse",
    0x13: "DiscoverCommandsGenerated",
    0x14: "DiscoverCommandsGeneratedResponse",
    0x15: "DiscoverAttributesExtended",
    0x16: "DiscoverAttributesExtendedResponse",
}

C2S, S2C = 0, 1

COMMANDS: dict[tuple[int, int], dict[int, str]] = {
    (0x0000, C2S): {0x00: "ResetToFactoryDefaults"},
    (0x0700, C2S): {
        0x00: "GetCurrentPrice",
        0x01: "GetScheduledPrices",
        0x02: "PriceAcknowledgement",
        0x03: "GetBlockPeriods",
        0x04: "GetConversionFactor",
        0x05: "GetCalorificValue",
        0x06: "GetTariffInformation",
        0x07: "GetPriceMatrix",
        0x08: "GetBlockThresholds",
        0x09: "GetCO2Value",
        0x0A: "GetTierLabels",
        0x0B: "GetBillingPeriod",
        0x0C: "GetConsolidatedBill",
        0x0D: "CPPEventResponse",
        0x0E: "GetCreditPayment",
        0x0F: "GetCurrencyConversion",
        0x10: "GetTariffCancellation",
    },
    (0x0700, S2C): {
        0x00: "PublishPrice",
        0x01: "PublishBlockPeriod",
        0x02: "PublishConversionFactor",
        0x03: "PublishCalorificValue",
        0x04: "PublishTariffInformation",
        0x05: "PublishPriceMatrix",
        0x06: "PublishBlockThresholds",
        0x07: "PublishCO2Value",
        0x08: "PublishTierLabels",
        0x09: "PublishBillingPeriod",
        0x0A: "PublishConsolidatedBill",
        0x0B: "PublishCPPEvent",
        0x0C: "PublishCreditPayment",
        0x0D: "PublishCurrencyConversion",
        0x0E: "CancelTariff",
    },
    (0x0702, C2S): {
        0x00: "GetProfile",
        0x01: "RequestMirrorResponse",
        0x02: "MirrorRemoved",
        0x03: "RequestFastPollMode",
        0x04: "ScheduleSnapshot",
        0x05: "TakeSnapshot",
        0x06: "GetSnapshot",
        0x07: "StartSampling",
        0x08: "GetSampledData",
        0x09: "MirrorReportAttributeResponse",
        0x0A: "ResetLoadLimitCounter",
        0x0B: "ChangeSupply",
        0x0C: "LocalChangeSupply",
        0x0D: "SetSupplyStatus",
        0x0E: "SetUncontrolledFlowThreshold",
    },
    (0x0702, S2C): {
        0x00: "GetProfileResponse",
        0x01: "RequestMirror",
        0x02: "RemoveMirror",
        0x03: "RequestFastPollModeResponse",
        0x04: "ScheduleSnapshotResponse",
        0x05: "TakeSnapshotResponse",
        0x06: "PublishSnapshot",
        0x07: "GetSampledDataResponse",
        0x08: "ConfigureMirror",
        0x09: "ConfigureNotificationScheme",
        0x0A: "ConfigureNotificationFlags",
        0x0B: "GetNotifiedMessage",
        0x0C: "SupplyStatusResponse",
        0x0D: "StartSamplingResponse",
    },
    (0x0703, C2S): {0x00: "GetLastMessage", 0x01: "MessageConfirmation", 0x02: "GetMessageCancellation"},
    (0x0703, S2C): {
        0x00: "DisplayMessage",
        0x01: "CancelMessage",
        0x02: "DisplayProtectedMessage",
        0x03: "CancelAllMessages",
    },
    (0x0704, C2S): {
        0x00: "RequestTunnel",
        0x01: "CloseTunnel",
        0x02: "TransferData",
        0x03: "TransferDataError",
        0x04: "AckTransferData",
        0x05: "ReadyData",
        0x06: "GetSupportedTunnelProtocols",
    },
    (0x0704, S2C): {
        0x00: "RequestTunnelResponse",
        0x01: "TransferData",
        0x02: "TransferDataError",
        0x03: "AckTransferData",
        0x04: "ReadyData",
        0x05: "SupportedTunnelProtocolsResponse",
        0x06: "TunnelClosureNotification",
    },
    (0x0705, C2S): {
        0x00: "SelectAvailableEmergencyCredit",
        0x01: "ChangeSupply (deprecated)",
        0x02: "ChangeDebt",
        0x03: "EmergencyCreditSetup",
        0x04: "ConsumerTopUp",
        0x05: "CreditAdjustment",
        0x06: "ChangePaymentMode",
        0x07: "GetPrepaySnapshot",
        0x08: "GetTopUpLog",
        0x09: "SetLowCreditWarningLevel",
        0x0A: "GetDebtRepaymentLog",
        0x0B: "SetMaximumCreditLimit",
        0x0C: "SetOverallDebtCap",
    },
    (0x0705, S2C): {
        0x00: "SupplyStatusResponse (deprecated)",
        0x01: "PublishPrepaySnapshot",
        0x02: "ChangePaymentModeResponse",
        0x03: "ConsumerTopUpResponse",
        0x05: "PublishTopUpLog",
        0x06: "PublishDebtLog",
    },
    (0x0707, C2S): {
        0x00: "GetCalendar",
        0x01: "GetDayProfiles",
        0x02: "GetWeekProfiles",
        0x03: "GetSeasons",
        0x04: "GetSpecialDays",
        0x05: "GetCalendarCancellation",
    },
    (0x0707, S2C): {
        0x00: "PublishCalendar",
        0x01: "PublishDayProfile",
        0x02: "PublishWeekProfile",
        0x03: "PublishSeasons",
        0x04: "PublishSpecialDays",
        0x05: "CancelCalendar",
    },
    (0x0708, C2S): {
        0x00: "GetChangeOfTenancy",
        0x01: "GetChangeOfSupplier",
        0x02: "RequestNewPassword",
        0x03: "GetSiteID",
        0x04: "ReportEventConfiguration",
        0x05: "GetCIN",
    },
    (0x0708, S2C): {
        0x00: "PublishChangeOfTenancy",
        0x01: "PublishChangeOfSupplier",
        0x02: "RequestNewPasswordResponse",
        0x03: "UpdateSiteID",
        0x04: "SetEventConfiguration",
        0x05: "GetEventConfiguration",
        0x06: "UpdateCIN",
    },
    (0x0709, C2S): {0x00: "GetEventLog", 0x01: "ClearEventLogRequest"},
    (0x0709, S2C): {0x00: "PublishEvent", 0x01: "PublishEventLog", 0x02: "ClearEventLogResponse"},
}

# ZCL data-type ids -> names (sizes and codecs live in zcl_types.py).
DATA_TYPES: dict[int, str] = {
    0x00: "nodata",
    **{0x08 + i: f"data{8 * (i + 1)}" for i in range(8)},
    0x10: "bool",
    **{0x18 + i: f"bitmap{8 * (i + 1)}" for i in range(8)},
    **{0x20 + i: f"uint{8 * (i + 1)}" for i in range(8)},
    **{0x28 + i: f"int{8 * (i + 1)}" for i in range(8)},
    0x30: "enum8",
    0x31: "enum16",
    0x38: "semi",
    0x39: "single",
    0x3A: "double",
    0x41: "octstr",
    0x42: "string",
    0x43: "octstr16",
    0x44: "string16",
    0x48: "array",
    0x4C: "struct",
    0x50: "set",
    0x51: "bag",
    0xE0: "ToD",
    0xE1: "date",
    0xE2: "UTC",
    0xE8: "clusterId",
    0xE9: "attribId",
    0xEA: "bacOID",
    0xF0: "EUI64",
    0xF1: "key128",
    0xFF: "unk",
}

# Short aliases for the attribute tables below.
_B8, _B16, _B32, _B64 = 0x18, 0x19, 0x1B, 0x1F
_U8, _U16, _U24, _U32, _U48 = 0x20, 0x21, 0x22, 0x23, 0x25
_I8, _I16, _I24, _I32, _I48 = 0x28, 0x29, 0x2A, 0x2B, 0x2D
_E8, _E16, _OS, _CS, _UTC, _BOOL = 0x30, 0x31, 0x41, 0x42, 0xE2, 0x10

Attr = tuple[str, int | None, str | None]

_BASIC: dict[int, Attr] = {
    0x0000: ("ZCLVersion", _U8, None),
    0x0001: ("ApplicationVersion", _U8, None),
    0x0002: ("StackVersion", _U8, None),
    0x0003: ("HWVersion", _U8, None),
    0x0004: ("ManufacturerName", _CS, None),
    0x0005: ("ModelIdentifier", _CS, None),
    0x0006: ("DateCode", _CS, None),
    0x0007: ("PowerSource", _E8, None),
    0x0008: ("GenericDeviceClass", _E8, None),
    0x0009: ("GenericDeviceType", _E8, None),
    0x000A: ("ProductCode", _OS, None),
    0x000B: ("ProductURL", _CS, None),
    0x0010: ("LocationDescription", _CS, None),
    0x0011: ("PhysicalEnvironment", _E8, None),
    0x0012: ("DeviceEnabled", _BOOL, None),
    0x0013: ("AlarmMask", _B8, None),
    0x0014: ("DisableLocalConfig", _B8, None),
    0x4000: ("SWBuildID", _CS, None),
}

_TIME: dict[int, Attr] = {
    0x0000: ("Time", _UTC, None),
    0x0001: ("TimeStatus", _B8, None),
    0x0002: ("TimeZone", _I32, "s"),
    0x0003: ("DstStart", _U32, None),
    0x0004: ("DstEnd", _U32, None),
    0x0005: ("DstShift", _I32, "s"),
    0x0006: ("StandardTime", _U32, None),
    0x0007: ("LocalTime", _U32, None),
    0x0008: ("LastSetTime", _UTC, None),
    0x0009: ("ValidUntilTime", _UTC, None),
}


def _price() -> dict[int, Attr]:
    t: dict[int, Attr] = {}
    for i in range(48):
        t[i] = (f"Tier{i + 1}PriceLabel", _OS, None)
    for b in range(15):
        t[0x0100 + b] = (f"Block{b + 1}Threshold", _U48, None)
    t[0x010F] = ("BlockThresholdCount", _U8, None)
    for tier in range(1, 16):
        for b in range(15):
            t[0x0100 + tier * 0x10 + b] = (f"Tier{tier}Block{b + 1}Threshold", _U48, None)
        t[0x010F + tier * 0x10] = (f"Tier{tier}BlockThresholdCount", _U8, None)
    t.update({
        0x0200: ("StartOfBlockPeriod", _UTC, None),
        0x0201: ("BlockPeriodDuration", _U24, None),
        0x0202: ("ThresholdMultiplier", _U24, None),
        0x0203: ("ThresholdDivisor", _U24, None),
        0x0204: ("BlockPeriodDurationType", _B8, None),
        0x0300: ("CommodityType", _E8, None),
        0x0301: ("StandingCharge", _U32, None),
        0x0302: ("ConversionFactor", _U32, None),
        0x0303: ("ConversionFactorTrailingDigit", _B8, None),
        0x0304: ("CalorificValue", _U32, None),
        0x0305: ("CalorificValueUnit", _E8, None),
        0x0306: ("CalorificValueTrailingDigit", _B8, None),
    })
    for b in range(16):
        t[0x0400 + b] = (f"NoTierBlock{b + 1}Price", _U32, None)
    for tier in range(1, 16):
        for b in range(16):
            t[0x0400 + tier * 0x10 + b] = (f"Tier{tier}Block{b + 1}Price", _U32, None)
    for tier in range(16, 49):
        t[0x0500 + tier - 1] = (f"PriceTier{tier}", _U32, None)
    t.update({
        0x0610: ("TariffLabel", _OS, None),
        0x0611: ("NumberOfPriceTiersInUse", _U8, None),
        0x0612: ("NumberOfBlockThresholdsInUse", _U8, None),
        0x0613: ("TierBlockMode", _E8, None),
        0x0615: ("UnitOfMeasure", _E8, None),
        0x0616: ("Currency", _U16, None),
        0x0617: ("PriceTrailingDigit", _B8, None),
        0x0619: ("TariffResolutionPeriod", _E8, None),
        0x0620: ("CO2", _U32, None),
        0x0621: ("CO2Unit", _E8, None),
        0x0622: ("CO2TrailingDigit", _B8, None),
        0x0700: ("CurrentBillingPeriodStart", _UTC, None),
        0x0701: ("CurrentBillingPeriodDuration", _U24, "min"),
        0x0702: ("LastBillingPeriodStart", _UTC, None),
        0x0703: ("LastBillingPeriodDuration", _U24, "min"),
        0x0704: ("LastBillingPeriodConsolidatedBill", _U32, None),
        0x0800: ("CreditPaymentDueDate", _UTC, None),
        0x0801: ("CreditPaymentStatus", _E8, None),
        0x0802: ("CreditPaymentOverDueAmount", _I32, None),
        0x080A: ("PaymentDiscount", _I32, None),
        0x080B: ("PaymentDiscountPeriod", _E8, None),
    })
    for n in range(5):
        base = 0x0810 + n * 0x10
        t[base] = (f"CreditPayment{n + 1}", _U32, None)
        t[base + 1] = (f"CreditPaymentDate{n + 1}", _UTC, None)
        t[base + 2] = (f"CreditPaymentRef{n + 1}", _OS, None)
    return t


def _metering() -> dict[int, Attr]:
    names = [
        "CurrentSummationDelivered", "CurrentSummationReceived", "CurrentMaxDemandDelivered",
        "CurrentMaxDemandReceived", "DFTSummation", "DailyFreezeTime", "PowerFactor",
        "ReadingSnapShotTime", "CurrentMaxDemandDeliveredTime", "CurrentMaxDemandReceivedTime",
        "DefaultUpdatePeriod", "FastPollUpdatePeriod", "CurrentBlockPeriodConsumptionDelivered",
        "DailyConsumptionTarget", "CurrentBlock", "ProfileIntervalPeriod", "IntervalReadReportingPeriod",
        "PresetReadingTime", "VolumePerReport", "FlowRestriction", "SupplyStatus",
        "CurrentInletEnergyCarrierSummation", "CurrentOutletEnergyCarrierSummation", "InletTemperature",
        "OutletTemperature", "ControlTemperature", "CurrentInletEnergyCarrierDemand",
        "CurrentOutletEnergyCarrierDemand", "PreviousBlockPeriodConsumptionDelivered",
        "CurrentBlockPeriodConsumptionReceived", "CurrentBlockReceived", "DFTSummationReceived",
        "ActiveRegisterTierDelivered", "ActiveRegisterTierReceived", "LastBlockSwitchTime",
    ]
    types = {0x0000: _U48, 0x0001: _U48, 0x0002: _U48, 0x0003: _U48, 0x0004: _U48, 0x0005: _U16,
             0x0006: _I8, 0x0007: _UTC, 0x0008: _UTC, 0x0009: _UTC, 0x000A: _U8, 0x000B: _U8,
             0x000C: _U48, 0x000D: _U24, 0x000E: _E8, 0x000F: _E8, 0x0014: _E8, 0x0022: _UTC}
    t: dict[int, Attr] = {i: (n, types.get(i), None) for i, n in enumerate(names)}
    for tier in range(1, 49):
        t[0x0100 + 2 * (tier - 1)] = (f"CurrentTier{tier}SummationDelivered", _U48, None)
        t[0x0101 + 2 * (tier - 1)] = (f"CurrentTier{tier}SummationReceived", _U48, None)
    t.update({
        0x0200: ("Status", _B8, None),
        0x0201: ("RemainingBatteryLife", _U8, None),
        0x0202: ("HoursInOperation", _U24, "h"),
        0x0203: ("HoursInFault", _U24, "h"),
        0x0204: ("ExtendedStatus", _B64, None),
        0x0205: ("RemainingBatteryLifeInDays", _U16, "d"),
        0x0206: ("CurrentMeterID", _OS, None),
        0x0207: ("AmbientConsumptionIndicator", _E8, None),
        0x0300: ("UnitOfMeasure", _E8, None),
        0x0301: ("Multiplier", _U24, None),
        0x0302: ("Divisor", _U24, None),
        0x0303: ("SummationFormatting", _B8, None),
        0x0304: ("DemandFormatting", _B8, None),
        0x0305: ("HistoricalConsumptionFormatting", _B8, None),
        0x0306: ("MeteringDeviceType", _B8, None),
        0x0307: ("SiteID", _OS, None),
        0x0308: ("MeterSerialNumber", _OS, None),
        0x0309: ("EnergyCarrierUnitOfMeasure", _E8, None),
        0x030A: ("EnergyCarrierSummationFormatting", _B8, None),
        0x030B: ("EnergyCarrierDemandFormatting", _B8, None),
        0x030C: ("TemperatureUnitOfMeasure", _E8, None),
        0x030D: ("TemperatureFormatting", _B8, None),
        0x030E: ("ModuleSerialNumber", _OS, None),
        0x030F: ("OperatingTariffLabelDelivered", _OS, None),
        0x0310: ("OperatingTariffLabelReceived", _OS, None),
        0x0311: ("CustomerIDNumber", _OS, None),
        0x0312: ("AlternativeUnitOfMeasure", _E8, None),
        0x0313: ("AlternativeDemandFormatting", _B8, None),
        0x0314: ("AlternativeConsumptionFormatting", _B8, None),
        0x0400: ("InstantaneousDemand", _I24, None),
        0x0401: ("CurrentDayConsumptionDelivered", _U24, None),
        0x0402: ("CurrentDayConsumptionReceived", _U24, None),
        0x0403: ("PreviousDayConsumptionDelivered", _U24, None),
        0x0404: ("PreviousDayConsumptionReceived", _U24, None),
        0x0405: ("CurrentPartialProfileIntervalStartTimeDelivered", _UTC, None),
        0x0406: ("CurrentPartialProfileIntervalStartTimeReceived", _UTC, None),
        0x0407: ("CurrentPartialProfileIntervalValueDelivered", _U24, None),
        0x0408: ("CurrentPartialProfileIntervalValueReceived", _U24, None),
        0x0409: ("CurrentDayMaxPressure", _U48, None),
        0x040A: ("CurrentDayMinPressure", _U48, None),
        0x040B: ("PreviousDayMaxPressure", _U48, None),
        0x040C: ("PreviousDayMinPressure", _U48, None),
        0x040D: ("CurrentDayMaxDemand", _I24, None),
        0x040E: ("PreviousDayMaxDemand", _I24, None),
        0x040F: ("CurrentMonthMaxDemand", _I24, None),
        0x0410: ("CurrentYearMaxDemand", _I24, None),
        0x0411: ("CurrentDayMaxEnergyCarrierDemand", _I24, None),
        0x0412: ("PreviousDayMaxEnergyCarrierDemand", _I24, None),
        0x0413: ("CurrentMonthMaxEnergyCarrierDemand", _I24, None),
        0x0414: ("CurrentMonthMinEnergyCarrierDemand", _I24, None),
        0x0415: ("CurrentYearMaxEnergyCarrierDemand", _I24, None),
        0x0416: ("CurrentYearMinEnergyCarrierDemand", _I24, None),
        0x045C: ("HistoricalFreezeTime", _U24, None),
        0x0500: ("MaxNumberOfPeriodsDelivered", _U8, None),
        0x0600: ("CurrentDemandDelivered", _U24, None),
        0x0601: ("DemandLimit", _U24, None),
        0x0602: ("DemandIntegrationPeriod", _U8, "min"),
        0x0603: ("NumberOfDemandSubintervals", _U8, None),
        0x0604: ("DemandLimitArmDuration", _U16, "s"),
        0x0605: ("LoadLimitSupplyState", _E8, None),
        0x0606: ("LoadLimitCounter", _U8, None),
        0x0607: ("SupplyTamperState", _E8, None),
        0x0608: ("SupplyDepletionState", _E8, None),
        0x0609: ("SupplyUncontrolledFlowState", _E8, None),
        0x0800: ("GenericAlarmMask", _B16, None),
        0x0801: ("ElectricityAlarmMask", _B32, None),
        0x0802: ("GenericFlowPressureAlarmMask", _B16, None),
        0x0803: ("WaterSpecificAlarmMask", _B16, None),
        0x0804: ("HeatAndCoolingSpecificAlarmMask", _B16, None),
        0x0805: ("GasSpecificAlarmMask", _B16, None),
        0x0806: ("ExtendedGenericAlarmMask", 0x1D, None),
        0x0807: ("ManufacturerAlarmMask", _B16, None),
        0x0A00: ("BillToDateDelivered", _U32, None),
        0x0A01: ("BillToDateTimeStampDelivered", _UTC, None),
        0x0A02: ("ProjectedBillDelivered", _U32, None),
        0x0A03: ("ProjectedBillTimeStampDelivered", _UTC, None),
        0x0A04: ("BillDeliveredTrailingDigit", _B8, None),
        0x0A10: ("BillToDateReceived", _U32, None),
        0x0A11: ("BillToDateTimeStampReceived", _UTC, None),
        0x0A12: ("ProjectedBillReceived", _U32, None),
        0x0A13: ("ProjectedBillTimeStampReceived", _UTC, None),
        0x0A14: ("BillReceivedTrailingDigit", _B8, None),
        0x0B00: ("ProposedChangeSupplyImplementationTime", _UTC, None),
        0x0B01: ("ProposedChangeSupplyStatus", _E8, None),
        0x0B10: ("UncontrolledFlowThreshold", _U16, None),
        0x0B11: ("UncontrolledFlowThresholdUnitOfMeasure", _E8, None),
        0x0B12: ("UncontrolledFlowMultiplier", _U16, None),
        0x0B13: ("UncontrolledFlowDivisor", _U16, None),
        0x0B14: ("FlowStabilisationPeriod", _U8, "s"),
        0x0B15: ("FlowMeasurementPeriod", _U16, "s"),
    })
    for day in range(2, 9):
        t[0x0420 + 2 * (day - 2)] = (f"PreviousDay{day}ConsumptionDelivered", _U24, None)
        t[0x0421 + 2 * (day - 2)] = (f"PreviousDay{day}ConsumptionReceived", _U24, None)
    periods = [("CurrentWeek", 0x0430), ("PreviousWeek", 0x0432)] + [
        (f"PreviousWeek{n}", 0x0434 + 2 * (n - 2)) for n in range(2, 6)
    ] + [("CurrentMonth", 0x0440), ("PreviousMonth", 0x0442)] + [
        (f"PreviousMonth{n}", 0x0444 + 2 * (n - 2)) for n in range(2, 14)
    ]
    for label, attr in periods:
        t[attr] = (f"{label}ConsumptionDelivered", _U32, None)
        t[attr + 1] = (f"{label}ConsumptionReceived", _U32, None)
    for set_base, suffix in ((0x0700, "Delivered"), (0x0900, "Received")):
        for b in range(16):
            t[set_base + b] = (f"CurrentNoTierBlock{b + 1}Summation{suffix}", _U48, None)
        for tier in range(1, 16):
            for b in range(16):
                t[set_base + tier * 0x10 + b] = (f"CurrentTier{tier}Block{b + 1}Summation{suffix}", _U48, None)
    return t


def _prepayment() -> dict[int, Attr]:
    t: dict[int, Attr] = {
        0x0000: ("PaymentControlConfiguration", _B16, None),
        0x0001: ("CreditRemaining", _I32, None),
        0x0002: ("EmergencyCreditRemaining", _I32, None),
        0x0003: ("CreditStatus", _B8, None),
        0x0004: ("CreditRemainingTimeStamp", _UTC, None),
        0x0005: ("AccumulatedDebt", _I32, None),
        0x0006: ("OverallDebtCap", _I32, None),
        0x0010: ("EmergencyCreditLimitAllowance", _U32, None),
        0x0011: ("EmergencyCreditThreshold", _U32, None),
        0x0020: ("TotalCreditAdded", _U48, None),
        0x0021: ("MaxCreditLimit", _U32, None),
        0x0022: ("MaxCreditPerTopUp", _U32, None),
        0x0030: ("FriendlyCreditWarning", _U8, "min"),
        0x0031: ("LowCreditWarningLevel", _U32, None),
        0x0032: ("IHDLowCreditWarningLevel", _U32, None),
        0x0033: ("InterruptSuspendTime", _U8, "min"),
        0x0034: ("RemainingFriendlyCreditTime", _U16, "min"),
        0x0035: ("NextFriendlyCreditPeriod", _UTC, None),
        0x0040: ("CutOffValue", _I32, None),
        0x0080: ("TokenCarrierID", _OS, None),
        0x0400: ("PrepaymentAlarmStatus", _B16, None),
        0x0401: ("PrepayGenericAlarmMask", _B16, None),
        0x0402: ("PrepaySwitchAlarmMask", _B16, None),
        0x0403: ("PrepayEventAlarmMask", _B16, None),
        0x0500: ("HistoricalCostConsumptionFormatting", _B8, None),
        0x0501: ("ConsumptionUnitOfMeasurement", _E8, None),
        0x0502: ("CurrencyScalingFactor", _E8, None),
        0x0503: ("Currency", _U16, None),
        0x051C: ("CurrentDayCostConsumptionDelivered", _U48, None),
        0x051D: ("CurrentDayCostConsumptionReceived", _U48, None),
        0x051E: ("PreviousDayCostConsumptionDelivered", _U48, None),
        0x051F: ("PreviousDayCostConsumptionReceived", _U48, None),
        0x0530: ("CurrentWeekCostConsumptionDelivered", _U48, None),
        0x0531: ("CurrentWeekCostConsumptionReceived", _U48, None),
        0x0532: ("PreviousWeekCostConsumptionDelivered", _U48, None),
        0x0533: ("PreviousWeekCostConsumptionReceived", _U48, None),
        0x0540: ("CurrentMonthCostConsumptionDelivered", _U48, None),
        0x0541: ("CurrentMonthCostConsumptionReceived", _U48, None),
        0x0542: ("PreviousMonthCostConsumptionDelivered", _U48, None),
        0x0543: ("PreviousMonthCostConsumptionReceived", _U48, None),
    }
    for n in range(5):
        base = 0x0100 + n * 0x10
        t[base] = (f"TopUpDateTime{n + 1}", _UTC, None)
        t[base + 1] = (f"TopUpAmount{n + 1}", _I32, None)
        t[base + 2] = (f"OriginatingDevice{n + 1}", _E8, None)
        t[base + 3] = (f"TopUpCode{n + 1}", _OS, None)
    for n in range(3):
        base = 0x0210 + n * 0x10
        t[base] = (f"DebtLabel{n + 1}", _OS, None)
        t[base + 1] = (f"DebtAmount{n + 1}", _U32, None)
        t[base + 2] = (f"DebtRecoveryMethod{n + 1}", _E8, None)
        t[base + 3] = (f"DebtRecoveryStartTime{n + 1}", _UTC, None)
        t[base + 4] = (f"DebtRecoveryCollectionTime{n + 1}", _U16, "min")
        t[base + 6] = (f"DebtRecoveryFrequency{n + 1}", _E8, None)
        t[base + 7] = (f"DebtRecoveryAmount{n + 1}", _U32, None)
        t[base + 9] = (f"DebtRecoveryTopUpPercentage{n + 1}", _U16, None)
    return t


_CALENDAR: dict[int, Attr] = {i: (f"AuxSwitch{i + 1}Label", _OS, None) for i in range(8)}

_DEVICE_MANAGEMENT: dict[int, Attr] = {
    0x0100: ("ProviderID", _U32, None),
    0x0101: ("ProviderName", _OS, None),
    0x0102: ("ProviderContactDetails", _OS, None),
    0x0110: ("ProposedProviderID", _U32, None),
    0x0111: ("ProposedProviderName", _OS, None),
    0x0112: ("ProposedProviderChangeDateTime", _UTC, None),
    0x0113: ("ProposedProviderChangeControl", _B32, None),
    0x0114: ("ProposedProviderContactDetails", _OS, None),
    0x0120: ("ReceivedProviderID", _U32, None),
    0x0121: ("ReceivedProviderName", _OS, None),
    0x0122: ("ReceivedProviderContactDetails", _OS, None),
    0x0130: ("ReceivedProposedProviderID", _U32, None),
    0x0131: ("ReceivedProposedProviderName", _OS, None),
    0x0132: ("ReceivedProposedProviderChangeDateTime", _UTC, None),
    0x0133: ("ReceivedProposedProviderChangeControl", _B32, None),
    0x0134: ("ReceivedProposedProviderContactDetails", _OS, None),
    0x0200: ("ChangeOfTenancyUpdateDateTime", _UTC, None),
    0x0201: ("ProposedTenancyChangeControl", _B32, None),
    0x0300: ("WANStatus", _E8, None),
    0x0400: ("LowMediumThreshold", _U32, None),
    0x0401: ("MediumHighThreshold", _U32, None),
}

_TUNNELING: dict[int, Attr] = {0x0000: ("CloseTunnelTimeout", _U16, "s")}

ATTRIBUTES: dict[int, dict[int, Attr]] = {
    0x0000: _BASIC,
    0x000A: _TIME,
    0x0700: _price(),
    0x0702: _metering(),
    0x0703: {},
    0x0704: _TUNNELING,
    0x0705: _prepayment(),
    0x0707: _CALENDAR,
    0x0708: _DEVICE_MANAGEMENT,
    0x0709: {},
}

# Global attributes present on every cluster (ZCL revision >= 6); looked up when the cluster has no entry.
GLOBAL_ATTRIBUTES: dict[int, Attr] = {
    0xFFFD: ("ClusterRevision", _U16, None),
    0xFFFE: ("AttributeReportingStatus", _E8, None),
}

_NO_ATTRS: dict[int, Attr] = {}


def attribute_info(cluster: int, attribute: int) -> Attr | None:
    """The ``(name, data type, unit)`` entry for an attribute, or None when unknown."""
    return ATTRIBUTES.get(cluster, _NO_ATTRS).get(attribute) or GLOBAL_ATTRIBUTES.get(attribute)


def command_name(cluster: int, frame_control: int, command: int) -> str | None:
    """Name of a ZCL command given the frame control's type and direction bits."""
    if frame_control & 0x03 == 0:
        return PROFILE_COMMANDS.get(command)
    if frame_control & 0x03 != 1:
        return None
    table = COMMANDS.get((cluster, (frame_control >> 3) & 1))
    return table.get(command) if table else None
