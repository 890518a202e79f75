"""JSON on the wire the way F&O writes it: exact decimals, its error body shapes, its etags."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.emulators.d365.entities import format_date

ODATA_JSON = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
WRITE_EXCEPTION = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"
ODATA_EXCEPTION = "Microsoft.OData.ODataException"
STACKTRACE = (
    "   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateProcessor.CreateEntity_Save("
    "ChangeOperationContext context, ChangeInfo changeInfo)\r\n   at Microsoft.Dynamics.Platform."
    "Integration.Services.OData.Update.UpdateManager.SaveChanges()"
)


_MARK = "\x00D"
_RAW = re.compile(r'"\\u0000D(-?[0-9.]+)\\u0000"')


def _default(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{_MARK}{decimal_text(value)}\x00"
    if isinstance(value, datetime):
        return format_date(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _unquote(match: re.Match[str]) -> str:
    return match.group(1)


def dumps(value: Any) -> str:
    """json.dumps that writes Decimal as a JSON number without going through float: the C encoder
    writes a marked string for each Decimal, which is then unquoted."""
    return _RAW.sub(_unquote, json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":")))


def decimal_text(value: Decimal) -> str:
    """Plain notation (never 1E+2), no trailing zeros beyond what the value carries."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


def loads(body: bytes | str) -> Any:
    """Parse a request body keeping every number exact (Decimal)."""
    return json.loads(body, parse_float=Decimal, parse_int=Decimal)


def etag(rec_version: int) -> str:
    # Real F&O etags are base64 of a quoted RecVersion list, e.g. W/"JzAsMjI1NjU0MjExNzYn" = '0,22565421176'.
    return 'W/"' + base64.b64encode(f"'0,{rec_version}'".encode()).decode() + '"'


@dataclass
class Reply:
    """A response independent of the HTTP layer, so $batch can reuse every handler."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        return cls(
            status, dumps(payload).encode(), {"Content-Type": ODATA_JSON, "OData-Version": "4.0", **(headers or {})}
        )


class ODataError(Exception):
    """An error reply in F&O's shape: ``error.code`` "", generic message, detail in innererror."""

    def __init__(
        self,
        status: int,
        inner_message: str,
        *,
        message: str = "An error has occurred.",
        error_type: str = WRITE_EXCEPTION,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(inner_message)
        self.status = status
        self.inner_message = inner_message
        self.message = message
        self.error_type = error_type
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": "",
                "message": self.message,
                "innererror": {"message": self.inner_message, "type": self.error_type, "stacktrace": STACKTRACE},
            }
        }

    def reply(self, status: int | None = None) -> Reply:
        return Reply.json(status or self.status, self.body(), self.headers)


def write_failed(aot_entity: str, *warnings: str, table: str = "", info: str = "") -> ODataError:
    """400 'Write failed for table row of type ...' with the Infolog segments F&O produces."""
    if info:
        text = f"Write failed for table row of type '{aot_entity}'. Infolog: Info: {info}."
        return ODataError(400, text)
    segments = [f"Warning: {w}" for w in warnings]
    if table:
        segments.append(f"Warning: validateWrite failed on data source '{table} ({table})'.")
    return ODataError(400, f"Write failed for table row of type '{aot_entity}'. Infolog: " + "; ".join(segments))


def already_exists(aot_entity: str, label: str, table: str, title: str) -> ODataError:
    # Same text as the real changeset failure sample: "...Cannot create a record in Customer groups
    # (CustGroup). Customer group: Batch2, Batch 2 Test group T1.\nThe record already exists.."
    return write_failed(
        aot_entity, info=f"Cannot create a record in {label} ({table}). {title}.\nThe record already exists."
    )


def not_in_related(aot_entity: str, table: str, value: str, field_label: str, related: str) -> ODataError:
    return write_failed(
        aot_entity,
        f"The value '{value}' in field '{field_label}' is not found in the relating table '{related}'.",
        table=table,
    )


def must_be_filled(aot_entity: str, table: str, field_label: str) -> ODataError:
    return write_failed(aot_entity, f"Field '{field_label}' must be filled in.", table=table)


def query_error(detail: str) -> ODataError:
    return ODataError(
        400, detail, message=f"The query specified in the URI is not valid. {detail}", error_type=ODATA_EXCEPTION
    )


def no_resources() -> ODataError:
    return ODataError(400, "No resources were found when selecting for update.")


def not_found(segment: str) -> ODataError:
    return ODataError(
        404,
        f"Resource not found for the segment '{segment}'.",
        message=f"Resource not found for the segment '{segment}'.",
        error_type=ODATA_EXCEPTION,
    )
