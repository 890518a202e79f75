"""Staged uploads and bulk mutations of the Shopify emulator.

``stagedUploadsCreate(resource: BULK_MUTATION_VARIABLES)`` answers a form-POST target the way
Shopify does (a ``url`` plus form ``parameters`` whose ``key`` is the ``stagedUploadPath``); the
target is this emulator's ``/_staged-uploads`` (Shopify's is a Google Cloud Storage bucket).
``bulkOperationRunMutation`` runs the mutation once per JSONL line (variables), without spending
the cost bucket, and writes a result JSONL (one ``{"data": ..., "__lineNumber": n}`` or
``{"errors": ..., "__lineNumber": n}`` per line) served at the operation's ``url``. One bulk
mutation at a time per shop (``OPERATION_IN_PROGRESS``). Like Shopify, the operation runs after the
mutation has answered: here each status read runs up to ``LINES_PER_READ`` (200) more lines, the first read
after creation always sees ``RUNNING`` and a later one ``COMPLETED`` once every line ran, so clients
must poll.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any

from graphql import ExecutionResult, GraphQLResolveInfo, OperationDefinitionNode, OperationType, execute, parse
from graphql.error import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.shopify.products import catalog_of
from sandbox.emulators.shopify.resolvers import store_of
from sandbox.emulators.shopify.store import gid, now_rest, parse_gid, to_utc
from sandbox.emulators.shopify.wire import json_response

Info = GraphQLResolveInfo
LINES_PER_READ = 200


@dataclass
class BulkOp:
    id: int
    query: str
    status: str
    created_at: str
    result: bytes = b""
    object_count: int = 0
    completed_at: str | None = None
    error_code: str | None = None
    reads: int = 0
    pending: list[tuple[int, str]] = field(default_factory=list)  # (line number, variables JSON) not run yet
    output: list[str] = field(default_factory=list)
    document: Any = None
    schema: Any = None
    context: Any = None


def staged_uploads_create(_r: Any, info: Info, input: list[dict[str, Any]]) -> dict[str, Any]:
    book = catalog_of(store_of(info))
    targets, errors = [], []
    for n, item in enumerate(input):
        if item["resource"] != "BULK_MUTATION_VARIABLES":
            errors.append(
                {"field": ["input", str(n), "resource"], "message": "Only BULK_MUTATION_VARIABLES is emulated"}
            )
            continue
        key = f"tmp/{store_of(info).next_id()}/bulk/{uuid.uuid4()}/bulk_op_vars"
        targets.append(
            {
                "url": f"{book.base_url}/_staged-uploads",
                "resourceUrl": None,
                "parameters": [
                    {"name": "key", "value": key},
                    {"name": "Content-Type", "value": item.get("mimeType") or "text/jsonl"},
                    {"name": "success_action_status", "value": "201"},
                    {"name": "acl", "value": "private"},
                    {"name": "policy", "value": "emulated"},
                ],
            }
        )
    return {"stagedTargets": None if errors else targets, "userErrors": errors}


def _error(code: str, path: str, message: str) -> dict[str, Any]:
    return {"bulkOperation": None, "userErrors": [{"code": code, "field": [path], "message": message}]}


def run_mutation(
    _r: Any,
    info: Info,
    mutation: str,
    stagedUploadPath: str,
    clientIdentifier: str | None = None,
    groupObjects: bool | None = None,
) -> dict[str, Any]:
    store = store_of(info)
    book = catalog_of(store)
    if any(op.status in ("CREATED", "RUNNING") for op in book.bulk_ops.values()):
        return _error(
            "OPERATION_IN_PROGRESS",
            "mutation",
            "A bulk mutation operation for this app and shop is already in progress.",
        )
    if stagedUploadPath not in book.uploads:
        return _error("NO_SUCH_FILE", "stagedUploadPath", "The JSONL file could not be found.")
    try:
        document = parse(mutation)
    except GraphQLError as error:
        return _error("INVALID_MUTATION", "mutation", str(error))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != OperationType.MUTATION:
        return _error("INVALID_MUTATION", "mutation", "Bulk mutations must be a single mutation operation.")
    from graphql import validate

    if validate(info.schema, document):
        return _error("INVALID_MUTATION", "mutation", "Invalid bulk mutation.")
    lines = book.uploads[stagedUploadPath].decode("utf-8").splitlines()
    op = BulkOp(store.next_id(), mutation, "RUNNING", now_rest(), document=document, schema=info.schema)
    op.pending = [(n, line) for n, line in enumerate(lines) if line.strip()]
    op.context = info.context
    book.bulk_ops[op.id] = op
    return {"bulkOperation": op, "userErrors": []}


def _run_some(op: BulkOp) -> None:
    batch, op.pending = op.pending[:LINES_PER_READ], op.pending[LINES_PER_READ:]
    for n, line in batch:
        try:
            variables = json.loads(line)
        except ValueError:
            op.status, op.error_code, op.pending = "FAILED", "INTERNAL_SERVER_ERROR", []
            return
        result = execute(op.schema, op.document, context_value=op.context, variable_values=variables)
        assert isinstance(result, ExecutionResult)
        row: dict[str, Any] = (
            {"data": result.data} if not result.errors else {"errors": [e.formatted for e in result.errors]}
        )
        row["__lineNumber"] = n
        op.output.append(json.dumps(row, default=str))
        op.object_count += 1


def _advance(op: BulkOp) -> BulkOp:
    """A status read runs more lines; the first read after creation always sees RUNNING."""
    if op.status == "RUNNING":
        op.reads += 1
        _run_some(op)
        if not op.pending and op.reads > 1 and op.status == "RUNNING":
            op.status, op.completed_at = "COMPLETED", now_rest()
            op.result = ("\n".join(op.output) + "\n").encode() if op.output else b""
    return op


def current_bulk_operation(_r: Any, info: Info, type: str = "QUERY") -> BulkOp | None:
    ops = list(catalog_of(store_of(info)).bulk_ops.values())
    if type != "MUTATION" or not ops:
        return None
    return _advance(ops[-1])


def bulk_operation(_r: Any, info: Info, id: str) -> BulkOp | None:
    op = catalog_of(store_of(info)).bulk_ops.get(parse_gid(id, "BulkOperation") or -1)
    return _advance(op) if op else None


def _url(op: BulkOp, info: Info) -> str | None:
    if op.status != "COMPLETED" or not op.result:
        return None
    return f"{catalog_of(store_of(info)).base_url}/_bulk-results/{op.id}.jsonl"


QUERY_FIELDS = {"currentBulkOperation": current_bulk_operation, "bulkOperation": bulk_operation}
MUTATIONS = {"stagedUploadsCreate": staged_uploads_create, "bulkOperationRunMutation": run_mutation}
TYPE_FIELDS: dict[str, dict[str, Any]] = {
    "BulkOperation": {
        "id": lambda op, _i: gid("BulkOperation", op.id),
        "type": lambda _op, _i: "MUTATION",
        "errorCode": lambda op, _i: op.error_code,
        "createdAt": lambda op, _i: to_utc(op.created_at),
        "completedAt": lambda op, _i: to_utc(op.completed_at),
        "objectCount": lambda op, _i: str(op.object_count),
        "rootObjectCount": lambda op, _i: str(op.object_count),
        "fileSize": lambda op, _i: str(len(op.result)) if op.status == "COMPLETED" else None,
        "url": _url,
        "partialDataUrl": lambda _op, _i: None,
    }
}


# The upload target and the result files (Shopify's are on Google Cloud Storage) ----------------------


async def staged_upload(request: Request) -> Response:
    book = catalog_of(request.app.state.emulator.store)
    content_type = request.headers.get("content-type", "")
    if "multipart/form-data" not in content_type:
        return Response("multipart/form-data required", status_code=400)
    message = BytesParser(policy=email_policy).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + await request.body()
    )
    fields: dict[str, bytes] = {}
    order: list[str] = []
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition") or "")
        payload = part.get_payload(decode=True)
        fields[name] = payload if isinstance(payload, bytes) else b""
        order.append(name)
    if "key" not in fields or "file" not in fields:
        return Response("<Error><Code>InvalidArgument</Code></Error>", status_code=400)
    if order[-1] != "file":  # the storage service ignores fields after the file
        return Response(
            "<Error><Code>InvalidArgument</Code><Message>file must be last</Message></Error>", status_code=400
        )
    key = fields["key"].decode()
    book.uploads[key] = fields["file"]
    return Response(f"<PostResponse><Key>{key}</Key></PostResponse>", status_code=201, media_type="application/xml")


async def bulk_result(request: Request) -> Response:
    book = catalog_of(request.app.state.emulator.store)
    op = book.bulk_ops.get(int(request.path_params["op_id"]))
    if op is None or op.status != "COMPLETED":
        return json_response({"error": "not found"}, 404)
    return Response(op.result, media_type="application/jsonl")


ROUTES = [
    Route("/_staged-uploads", staged_upload, methods=["POST"]),
    Route("/_bulk-results/{op_id:int}.jsonl", bulk_result, methods=["GET"]),
]
