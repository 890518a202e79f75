"""sandbox/host/rpc: the protocol subset compiles, and its wire facts are the public protocol's.

The numbers below are the upstream FunctionRpc.proto's (the revision named in function_rpc.proto's
header); a field renumbered or retyped by mistake would still compile but break the wire contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf.descriptor import FieldDescriptor as F

from sandbox.host.rpc import PROTO, build, compile_descriptor_set, protos

WIRE = [
    ("StreamingMessage", "invocation_request", 4, F.TYPE_MESSAGE),
    ("StreamingMessage", "worker_init_request", 17, F.TYPE_MESSAGE),
    ("StreamingMessage", "functions_metadata_request", 29, F.TYPE_MESSAGE),
    ("WorkerInitRequest", "function_app_directory", 5, F.TYPE_STRING),
    ("WorkerInitResponse", "worker_metadata", 4, F.TYPE_MESSAGE),
    ("StatusResult", "status", 4, F.TYPE_ENUM),
    ("RpcException", "stack_trace", 1, F.TYPE_STRING),
    ("RpcException", "message", 2, F.TYPE_STRING),
    ("RpcFunctionMetadata", "raw_bindings", 10, F.TYPE_STRING),
    ("RpcFunctionMetadata", "function_id", 13, F.TYPE_STRING),
    ("RpcFunctionMetadata", "retry_options", 15, F.TYPE_MESSAGE),
    ("RpcFunctionMetadata", "properties", 16, F.TYPE_MESSAGE),
    ("InvocationRequest", "input_data", 3, F.TYPE_MESSAGE),
    ("InvocationRequest", "trigger_metadata", 4, F.TYPE_MESSAGE),
    ("InvocationRequest", "retry_context", 6, F.TYPE_MESSAGE),
    ("InvocationResponse", "return_value", 4, F.TYPE_MESSAGE),
    ("InvocationResponse", "result", 3, F.TYPE_MESSAGE),
    ("ParameterBinding", "data", 2, F.TYPE_MESSAGE),
    ("TypedData", "int", 6, F.TYPE_SINT64),
    ("TypedData", "collection_model_binding_data", 13, F.TYPE_MESSAGE),
    ("RpcHttp", "params", 10, F.TYPE_MESSAGE),
    ("RpcHttp", "status_code", 12, F.TYPE_STRING),
    ("RpcHttp", "query", 15, F.TYPE_MESSAGE),
    ("RpcHttp", "rawBody", 17, F.TYPE_MESSAGE),
    ("RpcHttp", "cookies", 19, F.TYPE_MESSAGE),
    ("RpcHttpCookie", "max_age", 9, F.TYPE_MESSAGE),
    ("RpcRetryOptions", "retry_strategy", 6, F.TYPE_ENUM),
]


@pytest.mark.parametrize(("message", "field", "number", "kind"), WIRE)
def test_wire_facts_match_the_public_protocol(message: str, field: str, number: int, kind: int) -> None:
    descriptor = getattr(protos, message).DESCRIPTOR.fields_by_name[field]
    assert (descriptor.number, descriptor.type) == (number, kind)


def test_oneofs_and_enums_the_runtime_reads() -> None:
    assert [f.name for f in protos.TypedData.DESCRIPTOR.oneofs_by_name["data"].fields][:7] == [
        "string",
        "json",
        "bytes",
        "stream",
        "http",
        "int",
        "double",
    ]
    assert [f.name for f in protos.ParameterBinding.DESCRIPTOR.oneofs_by_name["rpc_data"].fields] == [
        "data",
        "rpc_shared_memory",
    ]
    assert (protos.StatusResult.Failure, protos.StatusResult.Success, protos.StatusResult.Cancelled) == (0, 1, 2)
    assert (protos.BindingInfo.out, protos.BindingInfo.inout) == (1, 2)
    assert protos.RpcHttpCookie.SameSite.ExplicitNone == 3


def test_round_trip_through_the_wire() -> None:
    request = protos.InvocationRequest(
        invocation_id="i",
        function_id="f",
        input_data=[protos.ParameterBinding(name="req", data=protos.TypedData(bytes=b"\x00\xff"))],
        trigger_metadata={"DequeueCount": protos.TypedData(json="2")},
    )
    again = protos.InvocationRequest.FromString(request.SerializeToString())
    assert again.input_data[0].data.bytes == b"\x00\xff"
    assert again.trigger_metadata["DequeueCount"].json == "2"


def test_compiling_twice_gives_the_same_classes_and_a_broken_file_fails(tmp_path: Path) -> None:
    assert compile_descriptor_set().file[-1].name == PROTO.name
    assert build().TypedData is protos.TypedData
    broken = tmp_path / "broken.proto"
    broken.write_text('syntax = "proto3"; message X { string a = 1; string b = 1; }')
    with pytest.raises(RuntimeError, match="protoc failed"):
        compile_descriptor_set(broken)
