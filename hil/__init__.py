"""smetsim hil package."""
