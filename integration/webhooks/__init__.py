"""Shopify webhook intake: verify, de-duplicate, route to queues."""
