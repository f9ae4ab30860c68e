"""HTTP wiring shared by every package: app factory, problem responses, auth, request guards."""
