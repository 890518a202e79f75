"""Cross-cutting pieces: settings, storage, idempotency, audit, HTTP policy, logging."""
