"""Product and price master, F&O -> Shopify (docs/flows/catalog.md)."""
