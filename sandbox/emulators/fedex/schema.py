"""Validation of Rate API request bodies against FedEx's own schema (``Full_Schema_Quote_Rate``).

The schema is FedEx's OpenAPI 3.0 file, copied unchanged into ``openapi/``. OpenAPI 3.0 schema
objects are a JSON Schema draft-4 dialect, so jsonschema's Draft4Validator does the work with the
``components`` resolved through local ``$ref``s.

FedEx's service is a Java/Jackson back end and is more lenient than its schema: FedEx's own
published examples send numbers as strings (``"amount": "100"``), postal codes as numbers
(``65247``), ``null`` objects, one-element arrays for scalars, and enum values the schema does not
list (the full-schema example's broker ``type: "EXPORT"``). A validator that rejected FedEx's own
examples would be wrong, so this one:

* accepts numeric strings for numbers, numbers for strings, ``null`` for anything and a
  one-element array where a scalar is expected (Jackson's scalar coercion);
* enforces enums only on the fields that drive rating (``STRICT_ENUMS``); elsewhere FedEx's enums
  are evidently incomplete and are not enforced.

Everything else (required fields, types of objects/arrays, integer dimensions) is enforced.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, validators
from jsonschema.exceptions import ValidationError

OPENAPI_DIR = Path(__file__).resolve().parent / "openapi"
RATE_SCHEMA_NAME = "Full_Schema_Quote_Rate"

# Paths (dotted, list indexes as "[]") whose enums are enforced: the ones the rate depends on.
STRICT_ENUMS = frozenset(
    {
        "requestedShipment.pickupType",
        "requestedShipment.rateRequestType.[]",
        "requestedShipment.requestedPackageLineItems.[].weight.units",
        "requestedShipment.requestedPackageLineItems.[].dimensions.units",
        "rateRequestControlParameters.rateSortOrder",
    }
)
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
_INTEGRAL = re.compile(r"^-?\d+$")


def load_openapi(name: str = "RateQuotes-Resource.json") -> dict[str, Any]:
    return json.loads((OPENAPI_DIR / name).read_text(encoding="utf-8"))


def _scalar(instance: Any) -> Any:
    if isinstance(instance, list) and len(instance) == 1 and not isinstance(instance[0], (list, dict)):
        return instance[0]
    return instance


def _is_number(checker: Any, instance: Any) -> bool:
    instance = _scalar(instance)
    if isinstance(instance, bool):
        return False
    return isinstance(instance, (int, float)) or (isinstance(instance, str) and bool(_NUMERIC.match(instance)))


def _is_integer(checker: Any, instance: Any) -> bool:
    instance = _scalar(instance)
    if isinstance(instance, bool):
        return False
    if isinstance(instance, float):
        return instance.is_integer()
    return isinstance(instance, int) or (isinstance(instance, str) and bool(_INTEGRAL.match(instance)))


def _is_string(checker: Any, instance: Any) -> bool:
    instance = _scalar(instance)
    return isinstance(instance, str) or (isinstance(instance, (int, float)) and not isinstance(instance, bool))


def _is_boolean(checker: Any, instance: Any) -> bool:
    return isinstance(_scalar(instance), bool)


def _null_tolerant(check: Any) -> Any:
    def type_(validator: Any, types: Any, instance: Any, schema: Any) -> Any:
        if instance is None:  # Jackson treats null as absent
            return
        yield from check(validator, types, instance, schema)

    return type_


def _make_validator_class() -> Any:
    checker = Draft4Validator.TYPE_CHECKER.redefine_many(
        {
            "number": _is_number,
            "integer": _is_integer,
            "string": _is_string,
            "boolean": _is_boolean,
        }
    )
    base_validators = Draft4Validator.VALIDATORS
    return validators.extend(
        Draft4Validator,
        type_checker=checker,
        validators={"type": _null_tolerant(base_validators["type"])},
    )


LenientValidator = _make_validator_class()


def _dotted(path: Any) -> str:
    return ".".join("[]" if isinstance(p, int) else str(p) for p in path)


@lru_cache(maxsize=1)
def rate_request_validator() -> Any:
    spec = load_openapi()
    schema = {"$ref": f"#/components/schemas/{RATE_SCHEMA_NAME}", "components": spec["components"]}
    return LenientValidator(schema)


def rate_request_errors(body: Any) -> list[ValidationError]:
    """Schema errors FedEx would reject, most specific first (empty list: valid)."""
    found = []
    for error in rate_request_validator().iter_errors(body):
        if error.validator == "enum" and _dotted(error.absolute_path) not in STRICT_ENUMS:
            continue
        if error.instance is None and error.validator != "required":
            continue
        found.append(error)
    unique = {(tuple(e.absolute_path), e.message): e for e in found}
    return sorted(unique.values(), key=lambda e: -len(e.absolute_path))


def describe(error: ValidationError) -> dict[str, str]:
    """parameterList entries for an error: the JSON path and what was wrong."""
    path = ".".join(str(p) for p in error.absolute_path) or "(root)"
    return {"path": path, "reason": error.message[:200]}
