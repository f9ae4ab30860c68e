"""Authenticated APIs for the department, traders, stations, shops and inspectors."""
