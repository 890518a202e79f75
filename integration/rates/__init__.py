"""Checkout rates: Shopify CarrierService request → packages → FedEx quotes → rules → Shopify rates.

Every module here is pure (no I/O) except the config loader, which reads one JSON file.
"""
