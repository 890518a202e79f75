"""Customs data for international rating: FedEx requires commodity data (``customsClearanceDetail``)
for international and intra-country rating (RateQuotes OpenAPI, ``RequestedShipmentCustomsClearanceDetail``).

Per product, from the ``customs`` section of ``config/mappings.json``::

    "customs": {
      "defaults": {"country_of_origin": "US", "hs_code": "", "description": "", "quantity_units": "PCS"},
      "products": {"<sku>": {"hs_code": "6109.10", "country_of_origin": "PT", "description": "Cotton T-shirt"}}
    }

Defaults (documented in docs/contracts.md): country of origin ``US``; no HS code (FedEx lists
``harmonizedCode`` as optional for rating, it only sharpens duty estimates); the description is the
product's customs description, else the default description, else the Shopify item name (FedEx
asks for a specific description: "vague" ones such as "merchandise" are refused at shipping).
Customs value = the item's price in the checkout currency x quantity; weight = Shopify grams in lb.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from integration.clients.fedex import Commodity
from integration.rates.request import ShopifyRate

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "mappings.json"
GRAMS_PER_LB = Decimal("453.59237")


class CustomsError(ValueError):
    pass


class ProductCustoms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    hs_code: str = Field(default="", max_length=14)
    country_of_origin: str = Field(default="", max_length=2)
    description: str = Field(default="", max_length=450)
    quantity_units: str = Field(default="", max_length=3)

    @field_validator("hs_code")
    @classmethod
    def _hs(cls, value: str) -> str:
        digits = value.replace(".", "").strip()
        if digits and (not digits.isdigit() or not 6 <= len(digits) <= 10):
            raise ValueError("an HS code has 6 to 10 digits (dots allowed)")
        return value.strip()

    @field_validator("country_of_origin")
    @classmethod
    def _country(cls, value: str) -> str:
        value = value.strip().upper()
        if value and (len(value) != 2 or not value.isalpha()):
            raise ValueError("a country of origin is an ISO 3166 alpha-2 code")
        return value


class CustomsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    about: str = Field(default="", alias="_about")
    defaults: ProductCustoms = ProductCustoms(country_of_origin="US", quantity_units="PCS")
    products: dict[str, ProductCustoms] = {}

    def for_sku(self, sku: str | None) -> ProductCustoms:
        own = self.products.get(sku or "") or ProductCustoms()
        return ProductCustoms(
            hs_code=own.hs_code or self.defaults.hs_code,
            country_of_origin=own.country_of_origin or self.defaults.country_of_origin or "US",
            description=own.description or self.defaults.description,
            quantity_units=own.quantity_units or self.defaults.quantity_units or "PCS",
        )


def load_customs(path: str | Path | None = None) -> CustomsConfig:
    source = Path(path) if path else DEFAULT_FILE
    try:
        data: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
        return CustomsConfig.model_validate(data.get("customs") or {})
    except (OSError, ValueError) as error:
        raise CustomsError(f"customs mapping in {source}: {error}") from None


def is_international(rate: ShopifyRate) -> bool:
    return rate.origin.country.upper() != rate.destination.country.upper()


def commodities(rate: ShopifyRate, customs: CustomsConfig) -> tuple[Commodity, ...]:
    """One commodity per shipped cart line, valued in the checkout's currency."""
    out = []
    for item in rate.shipped_items:
        product = customs.for_sku(item.sku)
        unit_price = Decimal(item.price) / 100
        out.append(
            Commodity(
                description=(product.description or item.name or item.sku or "item")[:450],
                quantity=item.quantity,
                quantity_units=product.quantity_units,
                weight_lb=max(Decimal("0.01"), Decimal(item.grams * item.quantity) / GRAMS_PER_LB),
                customs_value=unit_price * item.quantity,
                unit_price=unit_price,
                currency=rate.currency.upper(),
                country_of_manufacture=product.country_of_origin,
                harmonized_code=product.hs_code or None,
                part_number=item.sku or None,
            )
        )
    return tuple(out)
