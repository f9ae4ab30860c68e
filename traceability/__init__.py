"""LPG Trace domain and persistence."""
