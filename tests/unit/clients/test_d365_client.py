"""The F&O client's wire behaviour over an injected transport (the emulator tests cover it end to end)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from integration.clients.d365 import (
    BatchOp,
    BatchRead,
    D365AlreadyExists,
    D365Client,
    D365NotFound,
    D365Transient,
    D365ValidationError,
    dumps,
    key_segment,
    odata_literal,
    parse_batch_response,
)
from shared.http import RetryPolicy
from tests.conftest import SAMPLES

SLEEPS: list[float] = []


def client(handler) -> D365Client:
    SLEEPS.clear()
    return D365Client(
        "https://fo.example.com",
        "usmf",
        lambda: "tok",
        transport=httpx.MockTransport(handler),
        policy=RetryPolicy(attempts=4, sleep=SLEEPS.append),
    )


def test_literals_and_keys() -> None:
    assert odata_literal("O'Brien") == "'O''Brien'"
    assert odata_literal(5) == "5" and odata_literal(True) == "true"
    segment = key_segment({"dataAreaId": "usmf", "SalesOrderNumber": "SH1"})
    assert segment == "(dataAreaId='usmf',SalesOrderNumber='SH1')"
    assert key_segment({"CustomerAccount": "A#1/2?x y"}) == "(CustomerAccount='A%231%2F2%3Fx%20y')"


def test_decimals_keep_their_digits() -> None:
    assert dumps({"p": Decimal("19.99"), "q": Decimal("0.1") + Decimal("0.2")}) == '{"p": 19.99, "q": 0.3}'


def test_get_by_key_sends_auth_odata_headers_and_company() -> None:
    seen: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["headers"] = request.headers
        return httpx.Response(200, json={"SalesOrderNumber": "SH1", "OrderTotalAmount": 10.10})

    row = client(handler).get("SalesOrderHeadersV2", {"SalesOrderNumber": "SH1"})
    assert row["OrderTotalAmount"] == Decimal("10.10")  # parsed as Decimal, never float
    assert "SalesOrderHeadersV2(dataAreaId='usmf',SalesOrderNumber='SH1')" in seen["url"]
    assert seen["headers"]["authorization"] == "Bearer tok"
    assert seen["headers"]["odata-version"] == "4.0"


def test_query_follows_next_links() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        body: dict[str, Any] = {"value": [{"n": page}]}
        if page < 3:
            body["@odata.nextLink"] = f"https://fo.example.com/data/X?page={page + 1}"
        return httpx.Response(200, json=body)

    assert [r["n"] for r in client(handler).query("X", filter="a eq 1")] == [1, 2, 3]


def test_429_honours_retry_after_then_succeeds() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"message": "throttled"}})
        return httpx.Response(201, json={"ok": True})

    c = client(handler)
    assert c.create("CustomersV3", {"CustomerAccount": "SC1"}) == {"ok": True}
    assert SLEEPS == [7.0, 7.0]
    assert c.stats.throttled == 2 and c.stats.requests == 3


def test_transient_after_retries_and_400_not_retried() -> None:
    c = client(lambda r: httpx.Response(503, json={"error": {"message": "down"}}))
    with pytest.raises(D365Transient):
        c.get("X")
    assert c.stats.requests == 4
    body = {
        "error": {
            "code": "",
            "message": "An error has occurred.",
            "innererror": {
                "message": "Write failed for table row of type 'SalesOrderLineV2Entity'. "
                "Infolog: Warning: Item 'X' does not exist."
            },
        }
    }
    c = client(lambda r: httpx.Response(400, json=body))
    with pytest.raises(D365ValidationError) as info:
        c.create("SalesOrderLines", {})
    assert "Item 'X' does not exist" in info.value.message and c.stats.requests == 1


def test_error_classes() -> None:
    exists = {"error": {"innererror": {"message": "Write failed ... The record already exists."}}}
    with pytest.raises(D365AlreadyExists):
        client(lambda r: httpx.Response(400, json=exists)).create("CustomersV3", {})
    missing = {"error": {"innererror": {"message": "No resources were found when selecting for update."}}}
    with pytest.raises(D365NotFound):
        client(lambda r: httpx.Response(400, json=missing)).update("CustomersV3", {"CustomerAccount": "x"}, {})


def test_dropped_connection_is_retried_then_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed connection", request=request)

    c = client(handler)
    with pytest.raises(D365Transient):
        c.get("X")
    assert c.stats.requests == 4


def _sample_response() -> tuple[str, bytes]:
    raw = (SAMPLES / "d365/smarttalks__batch_response_changeset_failure.http.txt").read_text()
    body = raw.split("\n", 2)[2].strip()
    boundary = body.splitlines()[0][2:]
    return f"multipart/mixed; boundary={boundary}", body.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def test_public_batch_failure_sample_parses_and_classifies() -> None:
    content_type, body = _sample_response()
    results = parse_batch_response(content_type, body)
    assert [r.status for r in results] == [500]
    c = client(lambda r: httpx.Response(200, headers={"content-type": content_type}, content=body))
    with pytest.raises(D365AlreadyExists):
        c.batch([BatchOp("POST", "CustomerGroups", {"CustomerGroupId": "Batch2"})])


def test_batch_request_is_one_changeset_in_the_wire_format() -> None:
    captured = {}

    def handler(request: httpx.Request) -> httpx.Response:
        captured["type"] = request.headers["content-type"]
        captured["body"] = request.content.decode()
        boundary = "batchresponse_1"
        cs = "changesetresponse_1"
        parts = "".join(
            f"--{cs}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: {i}\r\n\r\n"
            f"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\r\n{json.dumps({'n': i})}\r\n"
            for i in (1, 2)
        )
        text = (
            f"--{boundary}\r\nContent-Type: multipart/mixed; boundary={cs}\r\n\r\n{parts}--{cs}--\r\n--{boundary}--\r\n"
        )
        return httpx.Response(
            200, headers={"content-type": f"multipart/mixed; boundary={boundary}"}, content=text.encode()
        )

    results = client(handler).batch(
        [
            BatchOp("POST", "SalesOrderHeadersV2", {"SalesOrderNumber": "SH1"}),
            BatchOp("POST", "SalesOrderLines", {"ItemNumber": "A"}),
        ]
    )
    assert [r.body for r in results] == [{"n": 1}, {"n": 2}]
    body = captured["body"]
    assert captured["type"].startswith("multipart/mixed; boundary=batch_")
    assert body.count("Content-Type: multipart/mixed; boundary=changeset_") == 1
    assert "POST https://fo.example.com/data/SalesOrderHeadersV2 HTTP/1.1" in body
    assert '"dataAreaId": "usmf"' in body and "Content-ID: 2" in body


def _multipart(boundary: str, parts: list[str]) -> bytes:
    return ("".join(f"--{boundary}\r\n{p}" for p in parts) + f"--{boundary}--\r\n").encode()


def _http_part(status: str, body: dict) -> str:
    return (
        f"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 {status}\r\n"
        f"Content-Type: application/json\r\n\r\n{json.dumps(body)}\r\n"
    )


def test_batch_reads_travel_after_the_changeset_and_come_back_last() -> None:
    captured = {}

    def handler(request: httpx.Request) -> httpx.Response:
        captured["body"] = request.content.decode()
        changeset = _multipart("cs", [_http_part("201 Created", {"n": 1})])
        parts = [
            f"Content-Type: multipart/mixed; boundary=cs\r\n\r\n{changeset.decode()}\r\n",
            _http_part("200 OK", {"OrderTotalAmount": 10.10}),
        ]
        return httpx.Response(
            200, headers={"content-type": "multipart/mixed; boundary=b"}, content=_multipart("b", parts)
        )

    read = BatchRead(
        "SalesOrderHeadersV2",
        {"SalesOrderNumber": "SH 1"},
        select=["OrderTotalAmount"],
        expand="SalesOrderLines($select=InventoryLotId,ItemNumber)",
    )
    results = client(handler).batch(
        [BatchOp("POST", "SalesOrderHeadersV2", {"SalesOrderNumber": "SH 1"})], reads=[read]
    )
    assert [r.status for r in results] == [201, 200]
    assert results[-1].body["OrderTotalAmount"] == Decimal("10.10") and results[-1].error() is None
    body = captured["body"]
    changeset_end = body.index("--changeset_", body.rindex("POST "))
    get_at = body.index(
        "GET https://fo.example.com/data/SalesOrderHeadersV2(dataAreaId='usmf',"
        "SalesOrderNumber='SH%201')?$select=OrderTotalAmount&"
        "$expand=SalesOrderLines($select=InventoryLotId,ItemNumber)&cross-company=true HTTP/1.1"
    )
    assert get_at > changeset_end  # outside the changeset, after it
    assert " " not in body[get_at:].split("\r\n")[0].removeprefix("GET ").removesuffix(" HTTP/1.1")


def test_batch_failed_changeset_raises_even_when_reads_answer() -> None:
    failure = {"error": {"innererror": {"message": "Write failed. The record already exists."}}}

    def handler(request: httpx.Request) -> httpx.Response:
        changeset = _multipart("cs", [_http_part("500 Internal Server Error", failure)])
        parts = [
            f"Content-Type: multipart/mixed; boundary=cs\r\n\r\n{changeset.decode()}\r\n",
            _http_part("404 Not Found", {"error": {"message": "not found"}}),
        ]
        return httpx.Response(
            200, headers={"content-type": "multipart/mixed; boundary=b"}, content=_multipart("b", parts)
        )

    with pytest.raises(D365AlreadyExists):
        client(handler).batch(
            [BatchOp("POST", "CustomerGroups", {"CustomerGroupId": "X"})],
            reads=[BatchRead("CustomerGroups", {"CustomerGroupId": "X"})],
        )


def test_batch_failed_read_is_returned_not_raised() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        parts = [_http_part("404 Not Found", {"error": {"message": "No resources were found"}})]
        return httpx.Response(
            200, headers={"content-type": "multipart/mixed; boundary=b"}, content=_multipart("b", parts)
        )

    [result] = client(handler).batch([], reads=[BatchRead("CustomerGroups", {"CustomerGroupId": "X"})])
    assert isinstance(result.error(), D365NotFound)


def test_non_odata_error_bodies_are_classified() -> None:
    c = client(lambda r: httpx.Response(503, json={"error": "injected 503"}))
    with pytest.raises(D365Transient) as failure:
        c.get("X")
    assert failure.value.message == "injected 503"
