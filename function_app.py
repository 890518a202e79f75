"""The Azure Functions app: builds the FunctionApp and registers one blueprint per entry point.

Nothing else happens at import time (no settings read, no network), so a bad setting fails only
the function that needs it and the app starts within Flex Consumption's initialization limit. The one
exception is local and cheap: query strings are redacted from telemetry and HTTP client logs (the
worker has installed its tracer provider before it imports this file).
"""

import azure.functions as func

from integration.triggers import (
    carrier_rates,
    catalog_timer,
    compliance_queue,
    crm_queue,
    customer_queue,
    freight_invoice_timer,
    fulfillment_events,
    fulfillment_timer,
    health,
    inventory_timer,
    ops,
    ops_console,
    order_queue,
    order_reconcile_timer,
    payments_timer,
    refund_queue,
    retention_timer,
    webhooks,
)
from shared.telemetry_redaction import install as redact_urls_in_telemetry

redact_urls_in_telemetry()

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

BLUEPRINTS = (
    webhooks.bp,
    carrier_rates.bp,
    health.bp,
    compliance_queue.bp,
    retention_timer.bp,
    ops.bp,
    ops_console.bp,
    order_queue.bp,
    order_reconcile_timer.bp,
    refund_queue.bp,
    customer_queue.bp,
    crm_queue.bp,
    fulfillment_timer.bp,
    fulfillment_events.bp,
    inventory_timer.bp,
    payments_timer.bp,
    freight_invoice_timer.bp,
    catalog_timer.bp,
)

for blueprint in BLUEPRINTS:
    app.register_functions(blueprint)
