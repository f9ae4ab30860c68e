"""Decree 87 ledger 2: the rules that decide whether a station may record a fill."""
