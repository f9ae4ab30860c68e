"""Tests for the label token codec and offline verifier."""
