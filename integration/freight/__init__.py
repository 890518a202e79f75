"""Freight audit: what the shopper was quoted, what Shopify charged, what F&O booked and what FedEx billed."""
