"""OAuth client-credentials tokens (reference §1): issue, check, expire.

Tokens look like FedEx's (a JWT-shaped string) but are opaque random values to the client.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field

from sandbox.emulators.fedex.config import FedexEmulatorConfig
from sandbox.emulators.fedex.errors import FedexError

GRANT_TYPES = frozenset({"client_credentials", "csp_credentials", "client_pc_credentials"})
CHILD_GRANTS = frozenset({"csp_credentials", "client_pc_credentials"})


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@dataclass
class TokenStore:
    expiry: dict[str, float] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)

    def issue(self, form: dict[str, str], config: FedexEmulatorConfig) -> dict[str, object]:
        missing = [name for name in ("grant_type", "client_id", "client_secret") if not form.get(name)]
        grant = form.get("grant_type", "")
        if not missing and grant in CHILD_GRANTS:
            missing = [name for name in ("child_Key", "child_secret") if not form.get(name)]
        if missing:
            raise FedexError(400, "INVALID.INPUT.EXCEPTION", params={"missing": ",".join(missing)})
        if grant not in GRANT_TYPES:
            raise FedexError(400, "INVALID.INPUT.EXCEPTION", params={"grant_type": grant})
        if not (
            secrets.compare_digest(form["client_id"], config.client_id)
            and secrets.compare_digest(form["client_secret"], config.client_secret)
        ):
            raise FedexError(
                401,
                "NOT.AUTHORIZED.ERROR",
                "The given client credentials were not valid. Please modify your request and try again.",
            )
        now = config.clock()
        payload = {
            "scope": [config.scope],
            "grant_type": grant,
            "apimode": "Sandbox",
            "exp": int(now + config.token_lifetime_s),
            "jti": secrets.token_hex(8),
        }
        token = ".".join((_b64({"alg": "RS256", "typ": "JWT"}), _b64(payload), secrets.token_urlsafe(32)))
        self.expiry[token] = now + config.token_lifetime_s
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(config.token_lifetime_s),
            "scope": config.scope,
        }

    def check(self, authorization: str | None, config: FedexEmulatorConfig) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise FedexError(
                401,
                "NOT.AUTHORIZED.ERROR",
                "Authorization header is missing or invalid. Please modify your request and try again.",
            )
        expires = self.expiry.get(token.strip())
        if expires is None:
            raise FedexError(
                401, "NOT.AUTHORIZED.ERROR", "Invalid access token. Please modify your request and try again."
            )
        if token.strip() in self.revoked or config.clock() >= expires:
            raise FedexError(401, "NOT.AUTHORIZED.ERROR")  # "Access token expired. …"

    def expire_all(self) -> int:
        self.revoked.update(self.expiry)
        return len(self.expiry)

    def active(self, config: FedexEmulatorConfig) -> int:
        now = config.clock()
        return sum(1 for t, e in self.expiry.items() if e > now and t not in self.revoked)
