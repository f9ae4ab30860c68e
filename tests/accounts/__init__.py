"""User accounts, device keys and the audit-log query."""
