"""Cylinders: registration, edits, listing and bulk import."""
