"""smetsim proving package."""
