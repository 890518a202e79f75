"""The F&O emulator as an ASGI app: /data (OData), the Entra token endpoint, /_emulator (operator
API), all wrapped in the shared fault-injection middleware."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.emulators.d365 import batch, custom_services, number_sequences, operator, seed
from sandbox.emulators.d365.auth import ServiceProtection, Throttle, TokenIssuer, unauthorized
from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.d365.domain import Env
from sandbox.emulators.d365.entities import entity_sets
from sandbox.emulators.d365.service import ODataService
from sandbox.emulators.d365.store import Store
from sandbox.emulators.d365.wire import ODataError, Reply
from sandbox.emulators.faults import FaultConfig, FaultInjector

log = logging.getLogger("sandbox.emulators.d365")


def new_store() -> Store:
    tables: dict[str, list[str]] = {}
    for es in entity_sets().values():
        tables.setdefault(es.table, es.keys)
    return Store(tables)


class EmulatorState:
    def __init__(self, config: D365EmulatorConfig) -> None:
        self.config = config
        self.tokens = TokenIssuer(config)
        self.throttle = Throttle(config.throttle)
        self.log = operator.RequestLog()
        self.reset()

    def reset(self) -> None:
        self.env = Env(new_store(), self.config)
        self.env.store.setup.companies.update({self.config.default_company, self.config.data_company})
        if self.config.seed_demo_data:
            seed.seed(self.env)
        else:
            self.env.store.setup.currencies.add("USD")
            self.env.store.setup.manual_numbers.update(self.config.manual_numbers)
        number_sequences.sync(self.env.store, self.env.store.setup.companies)
        self.service = ODataService(self.env)
        self.log.clear()


def _response(reply: Reply) -> Response:
    return Response(reply.body, status_code=reply.status, headers=reply.headers)


def create_app(config: D365EmulatorConfig | None = None) -> Any:
    config = config or D365EmulatorConfig()
    state = EmulatorState(config)

    async def data(request: Request) -> Response:
        path = request.path_params.get("path", "")
        method = request.method
        token = state.tokens.check(request.headers.get("authorization", ""))
        if config.require_auth and token is None:
            state.log.add(method, path, 401)
            return unauthorized()
        try:
            body = await request.body()
            base = f"{request.url.scheme}://{request.url.netloc}"
            if path == "$batch" and method == "POST":

                def inner(m: str, p: str, status: int) -> None:
                    state.log.add(m, p, status, batch=True)

                reply = batch.execute(
                    state.service,
                    body,
                    request.headers.get("content-type", ""),
                    base,
                    inner,
                    prefer=request.headers.get("prefer", ""),
                )
            else:
                reply = state.service.handle(method, path, dict(request.query_params), request.headers, body, base)
        except ODataError as exc:
            reply = exc.reply()
        except Exception as exc:  # an emulator bug must still answer like a server, and say what broke
            log.exception("unhandled error on %s /data/%s", method, path)
            reply = ODataError(500, f"{type(exc).__name__}: {exc}").reply()
        state.log.add(method, path, reply.status)
        return _response(reply)

    async def openid(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        base = f"{request.url.scheme}://{request.url.netloc}/{tenant}"
        return JSONResponse(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            }
        )

    async def services(request: Request) -> Response:
        if config.require_auth and state.tokens.check(request.headers.get("authorization", "")) is None:
            return unauthorized()
        reply = await custom_services.call(request, state.env, config.posting_service, config.data_company)
        state.log.add(request.method, f"api/services/{request.path_params.get('path', '')}", reply.status_code)
        return reply

    routes = [
        Route("/api/services/{path:path}", services, methods=["POST"]),
        Route("/data", data, methods=["GET"]),
        Route("/data/{path:path}", data, methods=["GET", "POST", "PATCH", "PUT", "DELETE", "MERGE"]),
        Route("/{tenant}/oauth2/v2.0/token", state.tokens.token, methods=["POST"]),
        Route("/{tenant}/oauth2/token", state.tokens.token, methods=["POST"]),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", openid, methods=["GET"]),
        *operator.routes(state),
    ]
    app = Starlette(routes=routes)
    faulty = FaultInjector(app, config.faults or FaultConfig())
    wrapped = ServiceProtection(faulty, state.throttle, lambda m, p: state.log.add(m, p, 429))
    wrapped.emulator = state  # for in-process tools (demo, benchmarks)
    return wrapped
