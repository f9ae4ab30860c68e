"""Statistics for the department and inspectors: registry counts, fills, scans, cases, checks.

Daily series read the summary tables (`traceability.stats.refresh`) for completed days and the
raw rows for the rest, so they stay fast at millions of rows and are exact up to the request.
"""
