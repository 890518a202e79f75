"""The Shopify Admin emulator as an ASGI app, wrapped in the shared fault injector."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from sandbox.emulators.faults import FaultInjector
from sandbox.emulators.shopify import bulk_query, operator, payments, rest
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from sandbox.emulators.shopify.emulator import ShopifyEmulator
from sandbox.emulators.shopify.graphql_api import graphql_endpoint
from sandbox.emulators.shopify.published import published_schema
from sandbox.emulators.shopify.webhooks import DEFAULT_API_VERSION

API = "/admin/api/{version}"


def create_app(config: ShopifyEmulatorConfig | None = None) -> FaultInjector:
    emulator = ShopifyEmulator(config)
    published_schema(DEFAULT_API_VERSION)  # fail at start, with the fix, when npm ci has not run

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await emulator.close()

    legacy = [
        Route(f"{API}/orders.json", rest.list_orders, methods=["GET"]),
        Route(f"{API}/orders/count.json", rest.count_orders, methods=["GET"]),
        Route(f"{API}/orders/{{order_id:int}}.json", rest.get_order, methods=["GET"]),
        Route(f"{API}/orders/{{order_id:int}}/refunds.json", rest.get_refunds, methods=["GET"]),
    ]
    routes = [
        Route(f"{API}/graphql.json", graphql_endpoint, methods=["POST"]),
        *(legacy if emulator.config.legacy_rest else []),
        *operator.ROUTES,
        *payments.ROUTES,
        *bulk_query.ROUTES,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.emulator = emulator
    return FaultInjector(app, emulator.config.faults)
