"""Shopify payments -> F&O customer payment journals, and Shopify Payments payouts -> payout journals."""
