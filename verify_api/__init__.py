"""Public verification: JSON API, consumer pages, JWKS and rate limits."""
