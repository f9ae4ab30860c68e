"""Filling stations: signing keys, fills, label issuance and rendering."""
