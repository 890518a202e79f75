"""The Dataverse Web API emulator as an ASGI app: ``/api/data/v9.2`` (OData), an Entra-compatible
client-credentials token endpoint, service-protection 429s, ``/_emulator`` (operator API), wrapped in
the shared fault-injection middleware.

Operator API (JSON): ``POST /_emulator/reset``; ``GET /_emulator/rows/<entity set>`` (every row);
``POST /_emulator/rows/<entity set>`` (insert a row as a CRM user would, bypassing the API, e.g. a
contact the integration did not create); ``GET /_emulator/requests`` (counts); ``GET /_emulator/state``
(rows per table); ``PUT /_emulator/throttle`` (service-protection limits); ``/_emulator/faults`` (see
sandbox/emulators/faults.py).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.emulators.d365.auth import TokenIssuer
from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.dataverse import batch
from sandbox.emulators.dataverse.service import Dataverse
from sandbox.emulators.dataverse.wire import DataverseFault, Reply, dumps, json_reply, loads
from sandbox.emulators.faults import FaultConfig, FaultInjector

log = logging.getLogger("sandbox.emulators.dataverse")
API = "/api/data/v9.2"
CURRENCIES = (("USD", "US Dollar", "$"), ("EUR", "Euro", "€"), ("CAD", "Canadian Dollar", "$"), ("GBP", "Pound", "£"))


@dataclass
class ServiceLimits:
    """Dataverse service protection (per user, 5-minute sliding window): 6,000 requests, 20 minutes of
    execution time, 52 concurrent requests. 0 disables a limit; the emulator models count and
    concurrency. ``retry_after_s`` is what the 429 asks the client to wait."""

    max_requests: int = 0
    window_s: float = 300.0
    max_concurrent: int = 0
    retry_after_s: float = 1.0


@dataclass
class DataverseEmulatorConfig:
    static_token: str = "local-dataverse-token"
    client_id: str = "local-client-id"
    client_secret: str = "local-client-secret"
    token_lifetime_s: int = 3599
    column_prefix: str = "shop_"
    faults: FaultConfig | None = None
    limits: ServiceLimits = field(default_factory=ServiceLimits)


class State:
    def __init__(self, config: DataverseEmulatorConfig) -> None:
        self.config = config
        token_config = D365EmulatorConfig(
            static_token=config.static_token,
            client_id=config.client_id,
            client_secret=config.client_secret,
            token_lifetime_s=config.token_lifetime_s,
        )
        self.tokens = TokenIssuer(token_config)
        self.requests: dict[str, int] = {}
        self.windows: dict[str, deque[float]] = {}
        self.in_flight = 0
        self.throttled = 0
        self.charged = 0
        self.reset()

    def reset(self) -> None:
        self.dv = Dataverse(self.config.column_prefix)
        self.requests = {}
        self.windows = {}
        self.throttled = 0
        self.charged = 0  # requests counted toward the service-protection limit
        for code, name, symbol in CURRENCIES:
            cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"currency:{code}"))
            self.dv.rows["transactioncurrencies"][cid] = {
                "transactioncurrencyid": cid,
                "isocurrencycode": code,
                "currencyname": name,
                "currencysymbol": symbol,
            }

    def count(self, method: str, path: str, status: int) -> None:
        name = f"{method} {path.split('(')[0]}"
        self.requests[name] = self.requests.get(name, 0) + 1

    def charge(self, token: str, requests: int) -> None:
        self.charged += requests
        if self.config.limits.max_requests and requests > 0:
            now = time.monotonic()
            self.windows.setdefault(token, deque()).extend([now] * requests)

    def admit(self, token: str) -> str | None:
        limits = self.config.limits
        if limits.max_concurrent and self.in_flight >= limits.max_concurrent:
            return f"Number of concurrent requests exceeded the limit of {limits.max_concurrent}."
        if limits.max_requests:
            now = time.monotonic()
            window = self.windows.setdefault(token, deque())
            while window and window[0] <= now - limits.window_s:
                window.popleft()
            if len(window) >= limits.max_requests:
                return (
                    f"Number of requests exceeded the limit of {limits.max_requests} over time window of "
                    f"{int(limits.window_s)} seconds."
                )
            window.append(now)
        self.charged += 1
        return None


def _response(reply: Reply) -> Response:
    return Response(reply.body, status_code=reply.status, headers=reply.headers)


def create_app(config: DataverseEmulatorConfig | None = None) -> Any:
    config = config or DataverseEmulatorConfig()
    state = State(config)

    async def data(request: Request) -> Response:
        path = request.url.path[len(API) + 1 :]
        token = state.tokens.check(request.headers.get("authorization", ""))
        if token is None:
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        refusal = state.admit(token)
        if refusal is not None:
            state.throttled += 1
            fault = DataverseFault(429, "0x80072322", refusal).reply()
            fault.headers["Retry-After"] = str(int(config.limits.retry_after_s))
            return _response(fault)
        state.in_flight += 1
        try:
            body = await request.body()
            base = f"{request.url.scheme}://{request.url.netloc}"
            if path == "$batch" and request.method == "POST":
                inner: list[str] = []

                def count(method: str, inner_path: str, status: int) -> None:
                    inner.append(inner_path)
                    state.count(method, inner_path, status)

                reply = batch.execute(state.dv, body, request.headers.get("content-type", ""), base, count)
                state.charge(token, len(inner) - 1)  # each request inside a batch counts toward the limit
            else:
                reply, _ = state.dv.handle(
                    request.method, path, dict(request.query_params), dict(request.headers), body, base
                )
        except DataverseFault as fault:
            reply = fault.reply()
        except Exception as exc:  # an emulator bug still answers like a server, and says what broke
            log.exception("unhandled error on %s %s", request.method, path)
            reply = DataverseFault(500, "0x80040216", f"{type(exc).__name__}: {exc}").reply()
        finally:
            state.in_flight -= 1
        state.count(request.method, path, reply.status)
        return _response(reply)

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    async def rows(request: Request) -> Response:
        entity_set = request.path_params["entity_set"]
        if entity_set not in state.dv.rows:
            return JSONResponse({"error": f"unknown entity set {entity_set}"}, status_code=404)
        if request.method == "POST":
            row = loads(await request.body())
            table = state.dv.tables[entity_set]
            row.setdefault(table.primary_id, str(uuid.uuid4()))
            row.setdefault("statecode", 0)
            state.dv.rows[entity_set][row[table.primary_id]] = row
            return _response(json_reply(201, row))
        return Response(dumps(list(state.dv.rows[entity_set].values())), media_type="application/json")

    async def requests(request: Request) -> Response:
        return JSONResponse({"requests": state.requests, "throttled": state.throttled, "charged": state.charged})

    async def summary(request: Request) -> Response:
        return JSONResponse({"rows": {name: len(found) for name, found in state.dv.rows.items()}})

    async def customize(request: Request) -> Response:
        values = json.loads(await request.body() or b"{}")
        state.dv.customize(values.get("key_status") or {}, values.get("drop_columns") or {})
        return JSONResponse({"key_status": state.dv.key_status})

    async def throttle(request: Request) -> Response:
        values = json.loads(await request.body() or b"{}")
        config.limits = ServiceLimits(**values)
        state.windows = {}
        return JSONResponse(asdict(config.limits))

    routes = [
        Route(API + "/{path:path}", data, methods=["GET", "POST", "PATCH", "DELETE"]),
        Route("/{tenant}/oauth2/v2.0/token", state.tokens.token, methods=["POST"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/rows/{entity_set}", rows, methods=["GET", "POST"]),
        Route("/_emulator/requests", requests, methods=["GET"]),
        Route("/_emulator/state", summary, methods=["GET"]),
        Route("/_emulator/throttle", throttle, methods=["PUT"]),
        Route("/_emulator/metadata", customize, methods=["PUT"]),
    ]
    app = FaultInjector(Starlette(routes=routes), config.faults or FaultConfig())
    app.emulator = state  # type: ignore[attr-defined]  # for in-process tools and tests
    return app
