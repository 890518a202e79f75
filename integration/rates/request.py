"""Shopify's CarrierService callback body (reference shopify.md §3.2), validated at the edge.

``items[].price`` is an integer in subunits, ``grams`` the per-unit weight. Shopify's sample sends
``postal_code`` while its field list says ``zip``: both are accepted. Anything malformed raises
:class:`InvalidRateRequest`, which the HTTP trigger turns into a 400.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.limits import MAX_JSON_DEPTH, json_problem


class InvalidRateRequest(ValueError):
    """The callback body is not a usable CarrierService rate request (message says why)."""


# Bounds on what a checkout can ask for. Anything beyond them is not a cart that FedEx parcels can
# carry (at most 99 packages per shipment), and accepting it would let an anonymous caller make us
# pack millions of units: it is refused with a 400 before any packing starts.
MAX_ITEMS = 500  # cart lines
MAX_QUANTITY = 10_000  # units per line
MAX_TOTAL_UNITS = 100_000  # units per cart
MAX_GRAMS = 10_000_000  # 10 t per unit; FedEx's own limit (68 kg) is checked when packing
MAX_PRICE_SUBUNITS = 10**12
MAX_TEXT = 255  # names, SKUs, address fields


class ShopifyAddress(BaseModel):
    model_config = ConfigDict(extra="ignore")
    country: str = Field(min_length=2, max_length=2)
    postal_code: str = Field(default="", max_length=32, validation_alias=AliasChoices("postal_code", "zip"))
    province: str | None = Field(default=None, max_length=MAX_TEXT)
    city: str | None = Field(default=None, max_length=MAX_TEXT)
    address1: str | None = Field(default=None, max_length=MAX_TEXT)
    company_name: str | None = Field(
        default=None, max_length=MAX_TEXT, validation_alias=AliasChoices("company_name", "company")
    )
    address_type: str | None = Field(default=None, max_length=32)

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @field_validator("postal_code", mode="before")
    @classmethod
    def _postal(cls, value: Any) -> str:
        return "" if value is None else str(value).strip().upper()

    @property
    def residential(self) -> bool:
        """Shopify's own FedEx integration rates a buyer who enters a company name as a business
        (reference fedex.md §4.1); an explicit ``address_type`` wins when a provider sends one."""
        if self.address_type:
            return self.address_type.lower() not in ("commercial", "business")
        return not (self.company_name or "").strip()


class ShopifyItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(default="", max_length=MAX_TEXT)
    sku: str | None = Field(default="", max_length=MAX_TEXT)
    quantity: int = Field(ge=0, le=MAX_QUANTITY)
    grams: int = Field(ge=0, le=MAX_GRAMS)
    price: int = Field(ge=0, le=MAX_PRICE_SUBUNITS)  # subunits per unit
    requires_shipping: bool = True
    product_id: int | None = None
    variant_id: int | None = None


class ShopifyRate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    origin: ShopifyAddress
    destination: ShopifyAddress
    items: list[ShopifyItem] = Field(min_length=1, max_length=MAX_ITEMS)
    currency: str = Field(min_length=3, max_length=3)
    locale: str | None = Field(default=None, max_length=35)

    @model_validator(mode="after")
    def _total_units(self) -> ShopifyRate:
        total = sum(i.quantity for i in self.items)
        if total > MAX_TOTAL_UNITS:
            raise ValueError(f"the cart holds {total} units; at most {MAX_TOTAL_UNITS} can be rated")
        return self

    @property
    def shipped_items(self) -> list[ShopifyItem]:
        return [i for i in self.items if i.requires_shipping and i.quantity > 0]

    def subtotal(self) -> Decimal:
        """Value of the shipped goods in currency units (for free-shipping thresholds; pre-tax)."""
        return sum((Decimal(i.price) * i.quantity for i in self.shipped_items), Decimal(0)) / 100


class CarrierRateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    rate: ShopifyRate


# A cart is a few kilobytes; anything far larger is not a rate request worth parsing.
MAX_BODY_BYTES = 1024 * 1024


def _cannot_hold_a_json_problem(raw: bytes) -> bool:
    """Raw JSON bytes in which ``json_problem`` cannot find anything, told without walking the parsed
    body (that walk was the largest part of parsing a checkout request): no ``\\u`` escape and no 0xED
    byte (the only ways to write a lone surrogate in UTF-8; json.loads decodes bytes with
    ``surrogatepass``), and fewer brackets than the depth limit (a level needs one)."""
    return (
        b"\\u" not in raw
        and b"\xed" not in raw
        and b"\x00" not in raw  # UTF-8 (json.loads also reads UTF-16/32, where these checks mean nothing)
        and raw.count(b"{") + raw.count(b"[") <= MAX_JSON_DEPTH
    )


def parse_rate_request(raw: bytes | str | dict[str, Any]) -> ShopifyRate:
    if isinstance(raw, (bytes, str)) and len(raw) > MAX_BODY_BYTES:
        raise InvalidRateRequest(f"body is larger than {MAX_BODY_BYTES} bytes")
    if isinstance(raw, bytes) and _cannot_hold_a_json_problem(raw):
        try:  # parsed and validated in one pass (pydantic-core); anything it refuses takes the path below
            return CarrierRateRequest.model_validate_json(raw).rate
        except ValidationError:
            pass  # the same body again below, for the same 400 reason as always
    try:
        data = json.loads(raw) if isinstance(raw, (bytes, str)) else raw
    except (ValueError, RecursionError) as error:
        raise InvalidRateRequest(f"body is not JSON: {str(error)[:200]}") from None
    if not isinstance(data, dict) or "rate" not in data:
        raise InvalidRateRequest("body must be a JSON object with a 'rate' member")
    problem = json_problem(data)
    if problem:
        raise InvalidRateRequest(problem)
    try:
        return CarrierRateRequest.model_validate(data).rate
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5])
        raise InvalidRateRequest(f"invalid rate request: {problems}") from None
