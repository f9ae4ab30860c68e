"""Chain of custody: events, append-only ledger, hash chain, shop receipts."""
