"""People's accounts and devices' API keys: who may act on the registry, and their life cycle."""
