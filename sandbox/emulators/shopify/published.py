"""Shopify's own published Admin GraphQL schema, per API version.

Shopify ships the introspection result of each supported Admin API version in the npm package
``@shopify/dev-mcp`` (``dist/data/admin_<version>.json.gz``), a pinned dev dependency in
package.json (``npm ci`` installs it). The emulator validates every incoming document and its
variables against it, so it refuses what Shopify refuses; the contract tests validate every
document the app can send against the target version.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, build_client_schema, get_operation_ast, validate
from graphql.execution.values import get_variable_values

ROOT = Path(__file__).resolve().parents[3]  # the repository (node_modules)
PACKAGE = ROOT / "node_modules" / "@shopify" / "dev-mcp"
DATA = PACKAGE / "dist" / "data"


class PublishedSchemaMissing(RuntimeError):
    pass


def schema_path(version: str) -> Path:
    return DATA / f"admin_{version}.json.gz"


def published_versions() -> list[str]:
    return sorted(p.name[len("admin_") : -len(".json.gz")] for p in DATA.glob("admin_*.json.gz"))


def has_schema(version: str) -> bool:
    return schema_path(version).is_file()


@cache
def published_schema(version: str) -> GraphQLSchema:
    path = schema_path(version)
    if not path.is_file():
        raise PublishedSchemaMissing(
            f"Shopify's published Admin schema {version} is not at {path}: run `npm ci` "
            "(package.json pins @shopify/dev-mcp, which ships it)"
        )
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        introspection: dict[str, Any] = json.load(handle)
    # assume_valid: Shopify's schema has a few deprecated implementations of non-deprecated interface
    # fields, which graphql-core's schema check refuses; documents are still fully validated against it.
    return build_client_schema(introspection.get("data", introspection), assume_valid=True)  # type: ignore[arg-type]


def check(
    schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any] | None, operation_name: str | None = None
) -> list[GraphQLError]:
    """What the schema refuses in a parsed document and its variables (empty when it is valid)."""
    errors = list(validate(schema, document))
    if errors:
        return errors
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return []
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    return coerced if isinstance(coerced, list) else []
