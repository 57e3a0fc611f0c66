"""smetsim emulator package."""
