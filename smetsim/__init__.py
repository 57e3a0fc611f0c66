"""smetsim: GB smart-metering device and HAN emulator (command-line front end)."""

__version__ = "0.1.0"
