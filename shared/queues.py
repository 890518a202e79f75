"""Queue names. They are literals (not settings) because the trigger bindings name them too and a
host cannot start a queue trigger whose ``%SETTING%`` is missing."""

ORDERS = "orders"
REFUNDS = "refunds"
CUSTOMERS = "customers"
COMPLIANCE = "compliance"

ALL = (ORDERS, REFUNDS, CUSTOMERS, COMPLIANCE)


def poison(name: str) -> str:
    return f"{name}-poison"
