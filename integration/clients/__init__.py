"""One client per external system: Dynamics 365 F&O OData, Shopify Admin, FedEx."""
