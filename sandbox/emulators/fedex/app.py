"""The FedEx emulator as a Starlette app, wrapped in the shared fault injector.

Routes: ``POST /oauth/token``, ``POST /rate/v1/rates/quotes``, ``POST /ship/v1/shipments`` (ship.py);
admin ``GET /_emulator/state``,
``POST /_emulator/reset``, ``PUT /_emulator/config``, ``POST /_emulator/expire-tokens`` and the
injector's ``/_emulator/faults``. Details in README.md.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.emulators.faults import FaultInjector
from sandbox.emulators.fedex.config import FedexEmulatorConfig
from sandbox.emulators.fedex.errors import FedexError, error_response
from sandbox.emulators.fedex.ratelimit import RateLimiter
from sandbox.emulators.fedex.reply import rate_reply, reply_detail
from sandbox.emulators.fedex.schema import describe, rate_request_errors
from sandbox.emulators.fedex.services import BY_TYPE, COMMIT_ORDER, Service, available, transit_days, zone
from sandbox.emulators.fedex.ship import rate_body, ship_reply
from sandbox.emulators.fedex.shipment import Shipment, check_account, parse_shipment
from sandbox.emulators.fedex.tokens import TokenStore

LAST_REQUESTS = 20


@dataclass
class EmulatorState:
    tokens: TokenStore = field(default_factory=TokenStore)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    counts: dict[str, int] = field(default_factory=dict)
    last: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=LAST_REQUESTS))

    def count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    def record(self, path: str, status: int, body: Any, config: FedexEmulatorConfig) -> None:
        self.last.append({"path": path, "status": status, "at": config.clock(), "body": body})


def _today(config: FedexEmulatorConfig) -> date:
    return datetime.fromtimestamp(config.clock(), UTC).date()


def _services_for(shipment: Shipment, config: FedexEmulatorConfig) -> list[Service]:
    offered = available(shipment.origin_country, shipment.dest_country, shipment.residential)
    template = BY_TYPE["PRIORITY_OVERNIGHT"]
    offered += [replace(template, service_type=t, name=t.replace("_", " ").title()) for t in config.extra_service_types]
    if shipment.carrier_codes:
        wanted = {"FDXG": True, "FDXE": False}
        kinds = {wanted[c] for c in shipment.carrier_codes if c in wanted}
        offered = [s for s in offered if s.ground in kinds]
    if shipment.service_type:
        requested = shipment.service_type
        if requested == "FEDEX_GROUND" and shipment.residential and shipment.dest_country == "US":
            requested = "GROUND_HOME_DELIVERY"  # FedEx answers residential Ground as Home Delivery
        if requested not in BY_TYPE and requested not in config.extra_service_types:
            raise FedexError(400, "SERVICETYPE.NOTSUPPORTED", params={"serviceType": shipment.service_type})
        offered = [s for s in offered if s.service_type == requested]
    if not offered:
        raise FedexError(400, "RATE.LOCATION.NOSERVICE")
    return offered


def quote(body: Any, config: FedexEmulatorConfig, customer_tx: str | None) -> dict[str, Any]:
    """The whole Rate API decision for one request body (raises FedexError for FedEx's 4xx)."""
    if not isinstance(body, dict):
        raise FedexError(400, "INVALID.INPUT.EXCEPTION", params={"path": "(root)", "reason": "JSON object expected"})
    check_account(body, config)
    errors = rate_request_errors(body)
    if errors:
        raise FedexError(400, "INVALID.INPUT.EXCEPTION", params=describe(errors[0]))
    shipment = parse_shipment(body, config, _today(config))
    zone_number = zone(shipment.origin_country, shipment.origin_postal, shipment.dest_country, shipment.dest_postal)
    services = _services_for(shipment, config)
    if shipment.sort_order in COMMIT_ORDER:
        services.sort(key=lambda s: transit_days(s, zone_number), reverse=shipment.sort_order == "COMMITDESCENDING")
    replies = [reply_detail(s, zone_number, shipment, config) for s in services]
    return rate_reply(replies, _today(config), config, customer_tx)


def create_app(config: FedexEmulatorConfig | None = None) -> FaultInjector:
    config = config or FedexEmulatorConfig()
    state = EmulatorState()

    async def token(request: Request) -> Response:
        state.count("token_requests")
        content_type = request.headers.get("content-type", "")
        try:
            if not content_type.startswith("application/x-www-form-urlencoded"):
                raise FedexError(
                    400,
                    "INVALID.INPUT.EXCEPTION",
                    params={"content-type": "application/x-www-form-urlencoded required"},
                )
            # Form parsing by the standard library: starlette's needs python-multipart.
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
            issued = state.tokens.issue(form, config)
        except FedexError as exc:
            state.count("token_failures")
            state.record(request.url.path, exc.status, {"grant_type": "?"}, config)
            return error_response(exc)
        state.count("tokens_issued")
        state.record(request.url.path, 200, {"grant_type": form.get("grant_type")}, config)
        return JSONResponse(issued)

    async def authorized_json(request: Request, name: str, answer: Any) -> Response:
        """Token, rate limit and JSON body checks of FedEx's JSON APIs, then ``answer(body, customer_tx)``."""
        state.count(f"{name}_requests")
        customer_tx = request.headers.get("x-customer-transaction-id")
        body: Any = None
        try:
            state.tokens.check(request.headers.get("authorization"), config)
            state.limiter.admit(config)
            try:
                body = json.loads((await request.body()) or b"null")
            except ValueError as exc:
                raise FedexError(400, "INVALID.INPUT.EXCEPTION", params={"reason": "malformed JSON"}) from exc
            reply = answer(body, customer_tx)
        except FedexError as exc:
            state.count(f"{name}_{exc.status}")
            state.record(request.url.path, exc.status, body, config)
            return error_response(exc, customer_tx)
        state.count(f"{name}_ok")
        state.record(request.url.path, 200, body, config)
        return JSONResponse(reply)

    def create_shipment(body: Any, customer_tx: str | None) -> dict[str, Any]:
        rated = quote(rate_body(body), config, customer_tx)
        ship_date = str(body["requestedShipment"].get("shipDatestamp") or _today(config).isoformat())
        return ship_reply(rated, ship_date, rated["transactionId"])

    async def rates(request: Request) -> Response:
        return await authorized_json(request, "rate", lambda body, tx: quote(body, config, tx))

    async def ship(request: Request) -> Response:
        return await authorized_json(request, "ship", create_shipment)

    async def get_state(request: Request) -> Response:
        return JSONResponse(
            {
                "counts": state.counts,
                "active_tokens": state.tokens.active(config),
                "rate_limited": state.limiter.rejected,
                "last_requests": list(state.last),
                "config": config.to_dict(),
            }
        )

    async def reset(request: Request) -> Response:
        state.tokens, state.limiter = TokenStore(), RateLimiter()
        state.counts.clear()
        state.last.clear()
        return JSONResponse({"reset": True})

    async def put_config(request: Request) -> Response:
        try:
            changes = await request.json()
            if not isinstance(changes, dict):
                raise ValueError("body must be a JSON object")
            config.update(changes)
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"config": config.to_dict()})

    async def expire_tokens(request: Request) -> Response:
        return JSONResponse({"expired": state.tokens.expire_all()})

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_response(FedexError(404, "NOT.FOUND.ERROR"))

    async def server_error(request: Request, exc: Exception) -> Response:
        return error_response(FedexError(500, "INTERNAL.SERVER.ERROR"))

    routes = [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/rate/v1/rates/quotes", rates, methods=["POST"]),
        Route("/ship/v1/shipments", ship, methods=["POST"]),
        Route("/_emulator/state", get_state, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/config", put_config, methods=["PUT"]),
        Route("/_emulator/expire-tokens", expire_tokens, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 500: server_error})
    app.state.emulator = state
    app.state.config = config
    injector = FaultInjector(app, config.faults)
    injector.emulator_state = state  # type: ignore[attr-defined]
    injector.emulator_config = config  # type: ignore[attr-defined]
    return injector
