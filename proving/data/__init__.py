"""Data files of the proving package (the SRV catalogue)."""
