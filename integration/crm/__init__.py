"""Optional CRM flow: Shopify customers, orders and their lifecycle into Dataverse (Dynamics 365 Sales /
Customer Service). On when ``DATAVERSE_URL`` is set; see docs/flows/crm.md."""
