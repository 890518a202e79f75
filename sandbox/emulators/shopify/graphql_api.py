"""``POST /admin/api/<version>/graphql.json``: token check, parse, validate, cost, bucket, execute.

Errors come back the way Shopify (graphql-ruby) writes them: HTTP 200 with an ``errors`` array of
``message`` / ``locations`` / ``path`` / ``extensions.code``; ``THROTTLED`` when the bucket cannot
pay the requested cost, ``MAX_COST_EXCEEDED`` above 1000 points (reference §4.4).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from starlette.requests import Request
from starlette.responses import Response

from sandbox.emulators.shopify import bulk_query, customers, installation, order_reads
from sandbox.emulators.shopify.cost import CostCalculator
from sandbox.emulators.shopify.emulator import ShopifyEmulator
from sandbox.emulators.shopify.mutations import MUTATION
from sandbox.emulators.shopify.object_types import TYPES, resolve_type
from sandbox.emulators.shopify.payments import TYPES as PAYMENT_TYPES
from sandbox.emulators.shopify.product_types import register as register_catalog
from sandbox.emulators.shopify.products import catalog_of
from sandbox.emulators.shopify.published import check, has_schema, published_schema
from sandbox.emulators.shopify.schema import schema_for_tier, tier_for
from sandbox.emulators.shopify.webhooks import DEFAULT_API_VERSION
from sandbox.emulators.shopify.wire import json_response

VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")
# Shopify supports a version for 12 months; older ones fall forward to the oldest supported (§4.5).
OLDEST_SUPPORTED = "2026-01"
INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
_bound: set[str] = set()
register_catalog(TYPES, MUTATION)  # products, productSet, price lists (product_types.py)

# graphql-core wording -> graphql-ruby wording and code, as Shopify returns them.
_REWRITES = [
    (
        re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'\..*"),
        lambda m: (
            f"Field '{m[1]}' doesn't exist on type '{m[2]}'",
            {"code": "undefinedField", "typeName": m[2], "fieldName": m[1]},
        ),
    ),
    (
        re.compile(r"^Unknown argument '(\w+)' on field '(\w+)\.(\w+)'\..*"),
        lambda m: (
            f"Field '{m[3]}' doesn't accept argument '{m[1]}'",
            {"code": "argumentNotAccepted", "name": m[3], "typeName": "Field", "argumentName": m[1]},
        ),
    ),
    (
        re.compile(r"^Argument '\w+\.(\w+)\((\w+):\)' of type '.*' is required, but it was not provided\."),
        lambda m: (
            f"Field '{m[1]}' is missing required arguments: {m[2]}",
            {"code": "missingRequiredArguments", "className": "Field", "name": m[1], "arguments": m[2]},
        ),
    ),
    (
        re.compile(r"^Variable '\$(\w+)' is never used\."),
        lambda m: (
            f"Variable ${m[1]} is declared by anonymous query but not used",
            {"code": "variableNotUsed", "variableName": m[1]},
        ),
    ),
    (
        re.compile(r"^Unknown directive '@(\w+)'\."),
        lambda m: (f"Directive @{m[1]} is not defined", {"code": "undefinedDirective", "directiveName": m[1]}),
    ),
]


def bound_schema(tier: str) -> GraphQLSchema:
    schema = schema_for_tier(tier)
    if tier not in _bound:
        for types in (
            {**TYPES, "Mutation": MUTATION},
            order_reads.TYPES,
            customers.TYPES,
            installation.TYPES,
            PAYMENT_TYPES,
            bulk_query.TYPES,
        ):
            for type_name, fields in types.items():
                for field_name, resolver in fields.items():
                    schema.type_map[type_name].fields[field_name].resolve = resolver  # type: ignore[attr-defined]
        schema.type_map["Node"].resolve_type = resolve_type  # type: ignore[attr-defined]
        for abstract, resolver in order_reads.ABSTRACT.items():
            schema.type_map[abstract].resolve_type = resolver  # type: ignore[attr-defined]
        _bound.add(tier)
    return schema


def format_error(error: GraphQLError) -> dict[str, Any]:
    body = dict(error.formatted)
    for pattern, rewrite in _REWRITES:
        match = pattern.match(error.message)
        if match:
            body["message"], extensions = rewrite(match)
            body["extensions"] = extensions
            break
    return body


def _published_error(error: GraphQLError, code: str | None) -> dict[str, Any]:
    body = format_error(error)
    if code and "extensions" not in body:
        body["extensions"] = {"code": code}
    return body


def effective_version(version: str) -> str:
    return version if version == "unstable" or version >= OLDEST_SUPPORTED else OLDEST_SUPPORTED


def run(
    emulator: ShopifyEmulator, query: str, variables: dict[str, Any] | None, operation_name: str | None, version: str
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Execute one request; returns the response body and the webhook events it triggered."""
    tier = tier_for(version)
    schema = bound_schema(tier)
    log = emulator.log
    try:
        document = parse(query)
    except GraphQLError as error:
        log.record("graphql", "(parse error)", 200, outcome="invalid")
        return {"errors": [format_error(error)]}, []
    # Shopify's own published schema of this version first: what it refuses, the emulator refuses.
    published = published_schema(version if has_schema(version) else DEFAULT_API_VERSION)
    refused = check(published, document, variables, operation_name)
    if refused:
        log.record("graphql", "(invalid)", 200, outcome="invalid")
        code = "INVALID_VARIABLE" if any("$" in e.message for e in refused) else None
        return {"errors": [_published_error(e, code) for e in refused]}, []
    errors = validate(schema, document)
    operation = get_operation_ast(document, operation_name)
    if not errors and operation is None:
        errors = [
            GraphQLError(
                "An operation name is required" if operation_name is None else f'No operation named "{operation_name}"'
            )
        ]
    if errors:
        log.record("graphql", "(invalid)", 200, outcome="invalid")
        return {"errors": [format_error(e) for e in errors]}, []
    assert isinstance(operation, OperationDefinitionNode)
    label = "+".join(s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode))
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        log.record("graphql", label, 200, outcome="invalid")
        return {"errors": [{**format_error(e), "extensions": {"code": "INVALID_VARIABLE"}} for e in coerced]}, []
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    calculator = CostCalculator(schema, fragments, variables or {})
    requested = calculator.operation(operation)
    bucket = emulator.bucket
    if requested > emulator.config.max_query_cost:
        log.record("graphql", label, 200, requested=requested, outcome="max_cost_exceeded")
        return {
            "errors": [
                {
                    "message": (
                        f"Query cost is {requested}, which exceeds the single query max cost limit "
                        f"({emulator.config.max_query_cost}).\n\n"
                        f"See {RATE_LIMIT_DOCS} for more information on how the\n"
                        "cost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk "
                        "operations should be used instead.\n"
                    ),
                    "extensions": {
                        "code": "MAX_COST_EXCEEDED",
                        "cost": requested,
                        "maxCost": emulator.config.max_query_cost,
                    },
                }
            ],
            "extensions": _cost(requested, None, bucket.status()),
        }, []
    if not bucket.take(requested):
        log.record("graphql", label, 200, requested=requested, outcome="throttled")
        return {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS}}],
            "extensions": _cost(requested, None, bucket.status()),
        }, []
    context = emulator.context(version, tier)
    result = execute(
        schema, document, context_value=context, variable_values=variables or {}, operation_name=operation_name
    )
    # Every resolver is synchronous, so execution never returns an awaitable.
    assert isinstance(result, ExecutionResult)
    actual = min(requested, calculator.operation(operation, result.data, actual=True)) if result.data else 0
    bucket.refund(requested - actual)
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [format_error(e) for e in result.errors]
    body["data"] = result.data
    body["extensions"] = _cost(requested, actual, bucket.status())
    log.record(
        "graphql", label, 200, requested=requested, actual=actual, outcome="ok" if not result.errors else "errors"
    )
    return body, context.events


def _cost(requested: int, actual: int | None, status: dict[str, float]) -> dict[str, Any]:
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}}


def authorised(emulator: ShopifyEmulator, request: Request) -> bool:
    return request.headers.get("x-shopify-access-token") == emulator.config.access_token


async def graphql_endpoint(request: Request) -> Response:
    emulator: ShopifyEmulator = request.app.state.emulator
    version = request.path_params["version"]
    if not VERSION.match(version):
        return json_response({"errors": "Not Found"}, 404)
    if not authorised(emulator, request):
        emulator.log.record("graphql", "(unauthorised)", 401, outcome="unauthorised")
        return json_response(INVALID_TOKEN, 401)
    raw = await request.body()
    query, variables, operation_name = None, None, None
    if "application/graphql" in request.headers.get("content-type", ""):
        query = raw.decode("utf-8", "replace")
    else:
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            query, variables, operation_name = (
                payload.get("query"),
                payload.get("variables"),
                payload.get("operationName"),
            )
    if not isinstance(query, str) or not query.strip() or not isinstance(variables, dict | type(None)):
        return json_response({"errors": {"query": "Required parameter missing or invalid"}}, 400)
    catalog_of(emulator.store).base_url = str(request.base_url).rstrip("/")  # staged upload/bulk result URLs
    effective = effective_version(version)
    bulk_query.BASE_URL.set(str(request.base_url))
    body, events = run(emulator, query, variables, operation_name, effective)
    for topic, event in events:
        emulator.send_later(topic, event)
    return json_response(body, headers={"X-Shopify-API-Version": effective, "X-Request-Id": str(uuid.uuid4())})
