"""Signed QR label tokens: encoding, parsing and offline verification."""
