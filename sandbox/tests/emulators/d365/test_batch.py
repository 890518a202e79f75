"""$batch: the public SmartTalks changeset request replayed byte for byte, success and rollback."""

from __future__ import annotations

import json
import re

import httpx

from .conftest import sample_text


def _sample_request(base_url: str, replace: dict[str, str] | None = None) -> tuple[str, bytes]:
    """The published request: first line is the request line, then headers, blank line, body."""
    text = sample_text("smarttalks__batch_request_changeset.http.txt").replace("{{base_url}}", base_url.split("://")[1])
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    head, body = text.split("\n\n", 1)
    content_type = head.splitlines()[1].split(":", 1)[1].strip()
    return content_type, body.replace("\n", "\r\n").encode()


def _parts(response: httpx.Response) -> list[tuple[str, str]]:
    """(status line, body) of every inner response."""
    found = re.findall(r"(HTTP/1\.1 \d{3}[^\r\n]*)\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)", response.text)
    return [(status, body) for status, body in found]


def test_sample_changeset_succeeds_then_fails_atomically(client: httpx.Client) -> None:
    url = str(client.base_url).rstrip("/")
    content_type, body = _sample_request(url)
    ok = client.post("/data/$batch", content=body, headers={"Content-Type": content_type})
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("multipart/mixed; boundary=batchresponse_")
    statuses = [status for status, _ in _parts(ok)]
    assert statuses == ["HTTP/1.1 201 Created", "HTTP/1.1 201 Created"]
    assert "Content-ID: 1" in ok.text and "Content-ID: 2" in ok.text

    # Second run: Batch3 is new but Batch2 exists -> the whole changeset is rolled back.
    content_type, body = _sample_request(url, {"Batch1": "Batch3"})
    failed = client.post("/data/$batch", content=body, headers={"Content-Type": content_type})
    assert failed.status_code == 200  # the outer status hides the failure
    parts = _parts(failed)
    assert [status for status, _ in parts] == ["HTTP/1.1 500 Internal Server Error"]
    error = json.loads(parts[0][1])
    expected = json.loads(sample_text("smarttalks__odata_write_error_in_batch.json"))
    assert error["error"]["message"] == expected["error"]["message"]
    assert error["error"]["innererror"]["message"].startswith(
        "Write failed for table row of type 'CustCustomerGroupEntity'. Infolog: Info: Cannot create a record in "
        "Customer groups (CustGroup)."
    )
    assert error["error"]["innererror"]["message"].endswith("The record already exists..")
    assert error["error"]["innererror"]["type"] == expected["error"]["innererror"]["type"]
    response_sample = sample_text("smarttalks__batch_response_changeset_failure.http.txt")
    for line in ("Content-Type: application/http", "Content-Transfer-Encoding: binary", "OData-Version: 4.0"):
        assert line in response_sample and line in failed.text
    assert re.search(r"--changesetresponse_[0-9a-f-]+--\r\n--batchresponse_[0-9a-f-]+--", failed.text)
    groups = client.get(
        "/data/CustomerGroups", params={"$filter": "CustomerGroupId eq 'Batch*'", "$select": "CustomerGroupId"}
    ).json()["value"]
    assert sorted(g["CustomerGroupId"] for g in groups) == ["Batch1", "Batch2"]  # no Batch3


def _batch(changeset: list[str], gets: list[str]) -> bytes:
    lines: list[str] = []
    if changeset:
        lines += ["--batch_b", "Content-Type: multipart/mixed; boundary=changeset_c", ""]
        for i, request in enumerate(changeset, start=1):
            lines += [
                "--changeset_c",
                "Content-Type: application/http",
                "Content-Transfer-Encoding: binary",
                f"Content-ID: {i}",
                "",
                request,
                "",
            ]
        lines.append("--changeset_c--")
    for request in gets:
        lines += ["--batch_b", "Content-Type: application/http", "Content-Transfer-Encoding: binary", "", request, ""]
    lines.append("--batch_b--")
    return "\r\n".join(lines).encode()


def _post(path: str, body: dict[str, object]) -> str:
    return f"POST {path} HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{json.dumps(body)}"


def test_order_header_and_lines_in_one_changeset_with_rollback(client: httpx.Client) -> None:
    header = _post(
        "SalesOrderHeadersV2",
        {"SalesOrderNumber": "SH7001", "OrderingCustomerAccountNumber": "US-002", "DefaultShippingWarehouseId": "11"},
    )
    good = _post("SalesOrderLines", {"SalesOrderNumber": "SH7001", "ItemNumber": "A0001"})
    bad = _post("SalesOrderLines", {"SalesOrderNumber": "SH7001", "ItemNumber": "NO-SUCH-SKU"})
    get = "GET SalesOrderHeadersV2?$filter=SalesOrderNumber%20eq%20'SH7001'&$select=SalesOrderNumber HTTP/1.1"
    content_type = "multipart/mixed; boundary=batch_b"

    failed = client.post(
        "/data/$batch", content=_batch([header, good, bad], [get]), headers={"Content-Type": content_type}
    )
    parts = _parts(failed)
    # OData stops a batch at its first failed part: the GET after the failed changeset is not answered.
    assert [status for status, _ in parts] == ["HTTP/1.1 500 Internal Server Error"]
    assert "Content-ID: 3" in failed.text  # the failing operation
    assert client.get("/data/SalesOrderLines/$count").text == "0"
    went_on = client.post(
        "/data/$batch",
        content=_batch([header, good, bad], [get]),
        headers={"Content-Type": content_type, "Prefer": "odata.continue-on-error"},
    )
    parts = _parts(went_on)
    assert [status for status, _ in parts] == ["HTTP/1.1 500 Internal Server Error", "HTTP/1.1 200 OK"]
    assert json.loads(parts[1][1])["value"] == []  # header rolled back, the GET outside ran after it
    assert went_on.headers["preference-applied"] == "odata.continue-on-error"

    ok = client.post("/data/$batch", content=_batch([header, good], [get]), headers={"Content-Type": content_type})
    parts = _parts(ok)
    assert [status for status, _ in parts] == ["HTTP/1.1 201 Created"] * 2 + ["HTTP/1.1 200 OK"]
    assert [v["SalesOrderNumber"] for v in json.loads(parts[2][1])["value"]] == ["SH7001"]
    log = client.get("/_emulator/requests", params={"limit": "0"}).json()
    assert log["by_set"]["SalesOrderLines"] >= 3 and log["by_set"]["$batch"] == 3


def test_a_failed_get_outside_changesets_stops_the_batch_unless_continue_on_error(client: httpx.Client) -> None:
    missing = "GET ReturnOrderHeadersV2(dataAreaId='usmf',ReturnOrderNumber='RF-NONE') HTTP/1.1"
    found = "GET DeliveryModesV2?$top=1 HTTP/1.1"
    content_type = "multipart/mixed; boundary=batch_b"
    stopped = client.post("/data/$batch", content=_batch([], [missing, found]), headers={"Content-Type": content_type})
    assert [status for status, _ in _parts(stopped)] == ["HTTP/1.1 404 Not Found"]
    went_on = client.post(
        "/data/$batch",
        content=_batch([], [missing, found]),
        headers={"Content-Type": content_type, "Prefer": "odata.continue-on-error"},
    )
    assert [status for status, _ in _parts(went_on)] == ["HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"]
    log = client.get("/_emulator/requests", params={"limit": "0"}).json()
    assert log["http_requests"] == 2 and log["by_method"]["GET"] == 3  # one HTTP request per $batch


def test_a_get_inside_a_changeset_is_refused(client: httpx.Client) -> None:
    get = "GET DeliveryModesV2?$top=1 HTTP/1.1"
    r = client.post(
        "/data/$batch", content=_batch([get], []), headers={"Content-Type": "multipart/mixed; boundary=batch_b"}
    )
    assert r.status_code == 400
    assert "invalid HTTP method 'GET' was detected for a request in a change set" in r.json()["error"]["message"]


def test_batch_operation_limit(client: httpx.Client) -> None:
    client.put("/_emulator/settings", json={})
    gets = ["GET DeliveryModesV2?$top=1 HTTP/1.1"] * 5001
    r = client.post(
        "/data/$batch", content=_batch([], gets), headers={"Content-Type": "multipart/mixed; boundary=batch_b"}
    )
    assert r.status_code == 400 and "'5000' operations" in r.json()["error"]["message"]
