"""The Azure Functions app: builds the FunctionApp and registers one blueprint per entry point.

Nothing else happens at import time (no settings read, no network), so a bad setting fails only
the function that needs it and the app starts within Flex Consumption's initialization limit.
"""

import azure.functions as func

from integration.triggers import compliance_queue, health, ops, ops_console, parked_queues, retention_timer, webhooks

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (webhooks.bp, health.bp, parked_queues.bp, compliance_queue.bp, retention_timer.bp, ops.bp,
                  ops_console.bp):
    app.register_functions(blueprint)
