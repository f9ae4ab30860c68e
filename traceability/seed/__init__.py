"""Demo data from the province's published registry (shared/seed), plus synthetic cylinders."""
