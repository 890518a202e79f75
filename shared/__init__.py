"""Cross-cutting pieces: settings, storage, idempotency, audit, HTTP policy, logging.

Not to be confused with ``../shared`` (the design kit beside the checkout)."""
