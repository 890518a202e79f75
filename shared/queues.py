"""Queue names. They are literals (not settings) because the trigger bindings name them too and a
host cannot start a queue trigger whose ``%SETTING%`` is missing."""

ORDERS = "orders"
REFUNDS = "refunds"
CUSTOMERS = "customers"
COMPLIANCE = "compliance"
# The optional CRM flow (Dataverse) has its own queue, so F&O and CRM retry and fail independently.
CRM = "crm"

ALL = (ORDERS, REFUNDS, CUSTOMERS, COMPLIANCE, CRM)


def poison(name: str) -> str:
    return f"{name}-poison"
