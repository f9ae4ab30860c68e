"""The append-only, hash-chained ledger of cylinder movements and the Decree 87 views of it."""
