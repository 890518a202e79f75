"""The Functions RPC protocol messages, built from ``function_rpc.proto`` at import time.

protoc (bundled in grpcio-tools) compiles the file to a descriptor set; the installed protobuf
runtime turns it into message classes. No generated code is committed, so generator and runtime
versions cannot drift apart. ``protos`` is the object ``azure-functions-runtime`` expects in
``request.properties["protos"]``: every message class as an attribute (``protos.InvocationRequest``,
``protos.StatusResult.Success``, ...), plus ``Timestamp``.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,  # noqa: F401  (puts duration.proto in the default pool)
    message_factory,
)
from google.protobuf.timestamp_pb2 import Timestamp

PROTO = Path(__file__).with_name("function_rpc.proto")
PACKAGE = "AzureFunctionsRpcMessages"


class ProtoBuildError(RuntimeError):
    pass


def compile_descriptor_set(proto: Path = PROTO) -> descriptor_pb2.FileDescriptorSet:
    """``protoc --include_imports --descriptor_set_out`` on ``proto``, through grpcio-tools."""
    from grpc_tools import protoc

    well_known = str(resources.files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory(prefix="function-rpc-") as tmp:
        out = Path(tmp) / "function_rpc.pb"
        args = [
            "protoc",
            f"--proto_path={proto.parent}",
            f"--proto_path={well_known}",
            "--include_imports",
            f"--descriptor_set_out={out}",
            proto.name,
        ]
        if protoc.main(args) != 0:
            raise ProtoBuildError(f"protoc failed on {proto}")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def build(proto: Path = PROTO) -> SimpleNamespace:
    files = compile_descriptor_set(proto).file
    # The default pool, so that google.protobuf.Timestamp/Duration fields take the runtime's own
    # well-known-type classes (and datetime/timedelta values, as the runtime passes them).
    pool = descriptor_pool.Default()
    for file in files:
        try:
            pool.FindFileByName(file.name)
        except KeyError:
            pool.Add(file)
    ours = [f.name for f in files if f.package == PACKAGE]
    classes = message_factory.GetMessageClassesForFiles(ours, pool)
    namespace: dict[str, Any] = {name.removeprefix(PACKAGE + "."): cls for name, cls in classes.items()}
    # Only top-level messages, as a generated ``*_pb2`` module exposes them.
    namespace = {name: cls for name, cls in namespace.items() if "." not in name}
    namespace["Timestamp"] = Timestamp
    return SimpleNamespace(**namespace)


protos: Any = build()
