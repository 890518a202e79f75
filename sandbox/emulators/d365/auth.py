"""Bearer tokens for /data: an Entra-compatible client-credentials token endpoint plus a static
local token, and service-protection throttling (reference §1.2 and §3)."""

from __future__ import annotations

import base64
import json
import random
import secrets
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.emulators.d365.config import D365EmulatorConfig, ThrottleConfig

USER_LIMIT_MESSAGE = "Number of requests exceeded the limit of {n} over the time window of {w} seconds."
CONCURRENCY_MESSAGE = "Number of concurrent requests exceeded the limit of {n}."
RESOURCE_MESSAGE = (
    "This request could not be processed at this time due to system experiencing high resource utilization."
)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class TokenIssuer:
    def __init__(self, config: D365EmulatorConfig) -> None:
        self.config = config
        self.tokens: dict[str, float] = {}  # access token -> expiry (epoch seconds)

    def _aad_error(self, status: int, error: str, code: str, text: str) -> JSONResponse:
        return JSONResponse(
            {
                "error": error,
                "error_description": f"{code}: {text}",
                "error_codes": [int(code[6:])],
                "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                "trace_id": "00000000-0000-0000-0000-000000000000",
                "correlation_id": "00000000-0000-0000-0000-000000000000",
            },
            status_code=status,
        )

    async def token(self, request: Request) -> Response:
        """POST /{tenant}/oauth2/v2.0/token (scope) or /{tenant}/oauth2/token (v1, resource)."""
        # application/x-www-form-urlencoded, parsed here (Starlette's form() needs python-multipart)
        form = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        tenant = request.path_params.get("tenant", "")
        if form.get("grant_type") != "client_credentials":
            return self._aad_error(
                400, "unsupported_grant_type", "AADSTS70003", "The app requested an unsupported grant type."
            )
        client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        if not client_id and request.headers.get("authorization", "").startswith("Basic "):
            decoded = base64.b64decode(request.headers["authorization"][6:]).decode()
            client_id, _, secret = decoded.partition(":")
        v2 = request.url.path.endswith("/v2.0/token")
        scope = str(form.get("scope" if v2 else "resource", ""))
        if not scope:
            return self._aad_error(
                400,
                "invalid_request",
                "AADSTS90014",
                f"The required field '{'scope' if v2 else 'resource'}' is missing.",
            )
        if v2 and not scope.endswith("/.default"):
            return self._aad_error(
                400,
                "invalid_scope",
                "AADSTS1002012",
                f"The provided value for scope {scope} is not valid. Client credential flows "
                f"must have a scope value with /.default suffixed to the resource identifier.",
            )
        if client_id != self.config.client_id:
            return self._aad_error(
                400,
                "unauthorized_client",
                "AADSTS700016",
                f"Application with identifier '{client_id}' was not found in the directory.",
            )
        if not secrets.compare_digest(secret, self.config.client_secret):
            return self._aad_error(
                401,
                "invalid_client",
                "AADSTS7000215",
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID.",
            )
        now = int(time.time())
        lifetime = self.config.token_lifetime_s
        audience = scope.removesuffix("/.default")
        # Shaped like an Entra JWT (unsigned: only this emulator reads it).
        token = ".".join(
            [
                _b64({"typ": "JWT", "alg": "none"}),
                _b64(
                    {
                        "aud": audience,
                        "iss": f"https://sts.windows.net/{tenant}/",
                        "iat": now,
                        "nbf": now,
                        "exp": now + lifetime,
                        "appid": client_id,
                        "tid": tenant,
                        "jti": secrets.token_hex(8),
                    }
                ),
                "emulator",
            ]
        )
        self.tokens[token] = now + lifetime
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }
        if not v2:
            body.update(expires_on=str(now + lifetime), not_before=str(now), resource=audience)
        return JSONResponse(body)

    def check(self, authorization: str) -> str | None:
        """The accepted token, or None."""
        if not authorization.startswith("Bearer "):
            return None
        token = authorization[7:].strip()
        if token == self.config.static_token:
            return token
        expiry = self.tokens.get(token)
        if expiry is None or expiry < time.time():
            return None
        return token


def unauthorized() -> Response:
    return JSONResponse(
        {"error": {"code": "", "message": "Authorization has been denied for this request."}},
        status_code=401,
        headers={
            "WWW-Authenticate": 'Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"'
        },
    )


class Throttle:
    """Service-protection 429s with Retry-After; decisions are seeded and counted per token."""

    def __init__(self, config: ThrottleConfig) -> None:
        self.configure(config)

    def configure(self, config: ThrottleConfig) -> None:
        self.config = config
        self.random = random.Random(config.seed)
        self.windows: dict[str, deque[float]] = {}
        self.in_flight = 0
        self.throttled = 0

    def admit(self, token: str) -> str | None:
        """None to let the request in (the caller must call :meth:`release`), or the 429 message."""
        c = self.config
        if c.max_concurrent and self.in_flight >= c.max_concurrent:
            return self._reject(CONCURRENCY_MESSAGE.format(n=c.max_concurrent))
        if c.max_requests:
            now = time.monotonic()
            window = self.windows.setdefault(token, deque())
            while window and window[0] <= now - c.window_s:
                window.popleft()
            if len(window) >= c.max_requests:
                return self._reject(USER_LIMIT_MESSAGE.format(n=c.max_requests, w=int(c.window_s)))
            window.append(now)
        if c.resource_rate and self.random.random() < c.resource_rate:
            return self._reject(RESOURCE_MESSAGE)
        self.in_flight += 1
        return None

    def _reject(self, message: str) -> str:
        self.throttled += 1
        return message

    def release(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def response(self, message: str) -> Response:
        return JSONResponse(
            {"error": {"code": "", "message": message}},
            status_code=429,
            headers={"Retry-After": str(self.config.retry_after_s)},
        )


class ServiceProtection:
    """Outermost ASGI middleware for /data: decides 429s before anything else and counts a request
    as in flight for its whole life, including latency injected further in (F&O counts concurrent
    requests the same way)."""

    def __init__(self, app: Any, throttle: Throttle, on_refusal: Any = None) -> None:
        self.app = app
        self.throttle = throttle
        self.on_refusal = on_refusal  # callback(method, path) for the request log
        self.emulator: Any = None  # the emulator state, for in-process tools (demo, benchmarks)

    def __getattr__(self, name: str) -> Any:  # expose the wrapped app's attributes (e.g. .emulator)
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/data"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        token = headers.get(b"authorization", b"").decode("latin-1").removeprefix("Bearer ").strip()
        refusal = self.throttle.admit(token or "anonymous")
        if refusal is not None:
            if self.on_refusal is not None:
                self.on_refusal(scope.get("method", ""), str(scope["path"])[len("/data/") :])
            await self.throttle.response(refusal)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.throttle.release()
