"""The app installation as Shopify reports it: granted access scopes and the public API versions
(``currentAppInstallation { accessScopes }``, ``publicApiVersions``), for the go-live preflight."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

SDL = """
type AccessScope { handle: String! description: String! }
type AppInstallation { id: ID! accessScopes: [AccessScope!]! }
extend type QueryRoot { currentAppInstallation: AppInstallation! publicApiVersions: [ApiVersion!]! }
"""

# Shopify keeps four stable versions supported (12 months each), plus release candidate and unstable.
SUPPORTED = ("2026-01", "2026-04", "2026-07", "2026-10")


def _installation(_r: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    scopes = info.context.config.access_scopes
    return {
        "id": "gid://shopify/AppInstallation/1",
        "accessScopes": [{"handle": s, "description": s.replace("_", " ")} for s in scopes],
    }


def _versions(_r: Any, _info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    retired = [{"handle": v, "displayName": v, "supported": False} for v in ("2025-07", "2025-10")]
    current = [{"handle": v, "displayName": v, "supported": True} for v in SUPPORTED]
    return [*retired, *current, {"handle": "unstable", "displayName": "unstable", "supported": False}]


TYPES: dict[str, dict[str, Any]] = {
    "QueryRoot": {"currentAppInstallation": _installation, "publicApiVersions": _versions}
}
