"""The Shopify Admin emulator as an ASGI app, wrapped in the shared fault injector."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from sandbox.faults import FaultInjector
from sandbox.shopify import operator, payments, rest
from sandbox.shopify.config import ShopifyEmulatorConfig
from sandbox.shopify.emulator import ShopifyEmulator
from sandbox.shopify.graphql_api import graphql_endpoint

API = "/admin/api/{version}"


def create_app(config: ShopifyEmulatorConfig | None = None) -> FaultInjector:
    emulator = ShopifyEmulator(config)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await emulator.close()

    routes = [
        Route(f"{API}/graphql.json", graphql_endpoint, methods=["POST"]),
        Route(f"{API}/orders.json", rest.list_orders, methods=["GET"]),
        Route(f"{API}/orders/count.json", rest.count_orders, methods=["GET"]),
        Route(f"{API}/orders/{{order_id:int}}.json", rest.get_order, methods=["GET"]),
        Route(f"{API}/orders/{{order_id:int}}/refunds.json", rest.get_refunds, methods=["GET"]),
        *operator.ROUTES,
        *payments.ROUTES,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.emulator = emulator
    return FaultInjector(app, emulator.config.faults)
