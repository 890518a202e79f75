"""The host's own storage and message encoding (host/storage.py, host/encoding.py): connections resolve
as the Functions host resolves a binding's ``connection``, and queue text is base64 as the Storage Queues
extension reads and writes it."""

from __future__ import annotations

import base64
import uuid

import pytest
from azure.core.exceptions import ResourceNotFoundError

from sandbox.host.encoding import decode, encode
from sandbox.host.storage import ConnectionSettingError, HostStorage, resolve_connection
from sandbox.tests.conftest import Sdk


def test_base64_is_the_default_encoding_and_strict() -> None:
    body = '{"id": 1, "note": "é"}'.encode()
    text = encode(body, "base64")
    assert text == base64.b64encode(body).decode()
    assert decode(text, "base64") == body
    assert decode("not base64 !!", "base64") is None
    assert decode("YWJj=", "base64") is None  # bad padding: poison, not a guess
    assert encode(b"plain", "none") == "plain" and decode("plain", "none") == b"plain"


def test_connection_string_identity_endpoints_and_missing_setting() -> None:
    assert resolve_connection(None, {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}).connection_string
    env = {"Jobs__queueServiceUri": "https://q.example/", "Jobs__credential": "managedidentity"}
    identity = resolve_connection("Jobs", env)
    assert identity.connection_string is None and identity.endpoint("queue") == "https://q.example/"
    with pytest.raises(ConnectionSettingError, match="no blob endpoint"):
        identity.endpoint("blob")
    account = resolve_connection("Acct", {"Acct__accountName": "store1"})
    assert account.endpoint("blob") == "https://store1.blob.core.windows.net"
    with pytest.raises(ConnectionSettingError, match="'Missing' does not exist"):
        resolve_connection("Missing", {})
    with pytest.raises(ConnectionSettingError, match="not a connection string"):
        resolve_connection("Bad", {"Bad": "just-a-name"})
    assert issubclass(ConnectionSettingError, ValueError)  # the function is reported in error, others run


def test_output_queue_is_created_and_sends_text_verbatim(azurite: str) -> None:
    name = f"host-out-{uuid.uuid4().hex[:12]}"
    host = HostStorage.from_setting("S", {"S": azurite})
    host.output_queue(name).send_message(encode(b"hello", "base64"))
    seen = [m.content for m in Sdk(azurite).queue(name).receive_messages()]  # an SDK base64 reader
    assert seen == ["hello"]
    with pytest.raises(ResourceNotFoundError):  # a trigger's queue is never created by the host
        host.trigger_queue(f"{name}-absent").get_queue_properties()
