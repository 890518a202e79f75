"""The caller of an ops request, from App Service Authentication (Easy Auth).

Easy Auth authenticates the caller (Entra ID) before the request reaches the app, removes any
``X-MS-CLIENT-PRINCIPAL*`` headers the client sent, and adds its own: ``X-MS-CLIENT-PRINCIPAL-NAME``,
``X-MS-CLIENT-PRINCIPAL-ID``, ``X-MS-CLIENT-PRINCIPAL-IDP`` and ``X-MS-CLIENT-PRINCIPAL`` (base64 JSON
``{"auth_typ", "name_typ", "role_typ", "claims": [{"typ", "val"}]}``). The headers are trustworthy
only because Easy Auth is configured for ``/api/ops/*`` (infra/app/auth.bicep); the local host adds
them itself (``LOCAL_DEV_PRINCIPAL``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NAME_HEADER = "x-ms-client-principal-name"
ID_HEADER = "x-ms-client-principal-id"
IDP_HEADER = "x-ms-client-principal-idp"
PRINCIPAL_HEADER = "x-ms-client-principal"
MAX_HEADER_CHARS = 16 * 1024
NAME_CLAIMS = ("preferred_username", "name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn")
ID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid", "sub")


@dataclass(frozen=True)
class Principal:
    name: str
    id: str = ""
    provider: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "id": self.id, "provider": self.provider}


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value.strip()[:MAX_HEADER_CHARS]
    return ""


def _claims(encoded: str) -> dict[str, Any]:
    """The decoded ``X-MS-CLIENT-PRINCIPAL`` document, or {} when it is not one."""
    if not encoded:
        return {}
    try:
        document = json.loads(base64.b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


def _claim(document: dict[str, Any], types: tuple[str, ...]) -> str:
    claims = document.get("claims")
    if not isinstance(claims, list):
        return ""
    for wanted in types:
        for claim in claims:
            if isinstance(claim, dict) and claim.get("typ") == wanted and isinstance(claim.get("val"), str):
                return str(claim["val"])
    return ""


def principal_from_headers(headers: Mapping[str, str]) -> Principal | None:
    """The authenticated caller, or None when Easy Auth identified nobody."""
    document = _claims(_header(headers, PRINCIPAL_HEADER))
    name = _header(headers, NAME_HEADER) or _claim(document, NAME_CLAIMS)
    principal_id = _header(headers, ID_HEADER) or _claim(document, ID_CLAIMS)
    if not name and not principal_id:
        return None
    provider = _header(headers, IDP_HEADER) or str(document.get("auth_typ") or "")
    return Principal(name=(name or principal_id)[:256], id=principal_id[:128], provider=provider[:64])


def encode_principal(name: str, principal_id: str = "", provider: str = "aad") -> str:
    """An ``X-MS-CLIENT-PRINCIPAL`` value (the local host's stand-in for Easy Auth, and tests)."""
    document = {
        "auth_typ": provider,
        "name_typ": "preferred_username",
        "role_typ": "roles",
        "claims": [{"typ": "preferred_username", "val": name}, {"typ": "oid", "val": principal_id or name}],
    }
    return base64.b64encode(json.dumps(document).encode()).decode()
