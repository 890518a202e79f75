"""Merchant rate rules, read from a JSON file and validated (a bad file fails loudly, naming the field).

The default is ``config/rates.json`` (app setting ``RATES_CONFIG_PATH``; a relative path is relative to
the app root, as for the other files under ``config/``). JSON, not YAML: no extra runtime dependency,
and the file is small.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

APP_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = APP_ROOT / "config" / "rates.json"
Zone = Literal["regional", "domestic", "international"]


class RatesConfigError(ValueError):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Box(_Strict):
    name: str
    length_in: int = Field(gt=0, le=999)
    width_in: int = Field(gt=0, le=999)
    height_in: int = Field(gt=0, le=999)
    max_weight_lb: Decimal = Field(gt=0, le=150)
    tare_lb: Decimal = Field(default=Decimal("0"), ge=0)

    @property
    def volume(self) -> int:
        return self.length_in * self.width_in * self.height_in


class Packaging(_Strict):
    boxes: list[Box] = Field(min_length=1)
    # Heaviest package we build (FedEx takes up to 150 lb; heavy parcels cost more to handle).
    max_package_weight_lb: Decimal = Field(default=Decimal("50"), gt=0, le=150)
    # Weight used for an item Shopify reports with 0 grams, so it still counts.
    min_item_weight_lb: Decimal = Field(default=Decimal("0.1"), ge=0)


class ServiceRule(_Strict):
    display_name: str = Field(min_length=1)
    description: str = ""
    markup_percent: Decimal = Decimal("0")
    markup_fixed: Decimal = Decimal("0")
    # Cart subtotal (pre-tax, shipped items) at or above which this service is free.
    free_shipping_threshold: Decimal | None = Field(default=None, ge=0)


class Rounding(_Strict):
    mode: Literal["none", "up", "nearest"] = "none"
    increment: Decimal = Field(default=Decimal("0.01"), gt=0)
    # Optional charm ending, e.g. 0.99 makes 12.30 -> 12.99 (after rounding up to a whole unit).
    ending: Decimal | None = Field(default=None, ge=0, lt=1)


class FallbackBand(_Strict):
    max_weight_lb: Decimal = Field(gt=0)
    price: Decimal = Field(ge=0)


class FallbackService(_Strict):
    service_code: str = Field(min_length=1)
    display_name: str = Field(min_length=1)
    description: str = ""
    min_days: int = Field(default=3, ge=0)
    max_days: int = Field(default=7, ge=0)
    free_shipping_threshold: Decimal | None = Field(default=None, ge=0)
    zones: dict[Zone, list[FallbackBand]]

    @model_validator(mode="after")
    def _bands(self) -> FallbackService:
        for zone, bands in self.zones.items():
            weights = [b.max_weight_lb for b in bands]
            if not bands or weights != sorted(weights):
                raise ValueError(f"zone {zone}: bands must be non-empty and ordered by max_weight_lb")
        return self


class RatesConfig(_Strict):
    # The allow-list: only these FedEx service types are offered, in this order.
    services: dict[str, ServiceRule] = Field(min_length=1)
    handling_fee: Decimal = Field(default=Decimal("0"), ge=0)
    rounding: Rounding = Rounding()
    packaging: Packaging
    fallback: list[FallbackService] = []
    residential: Literal["auto", "always", "never"] = "auto"
    rate_request_types: list[Literal["ACCOUNT", "LIST"]] = ["ACCOUNT", "LIST"]
    # Business days of handling added to FedEx's delivery dates.
    processing_days: int = Field(default=0, ge=0, le=30)
    # Time zone in which FedEx's local delivery times are shown to Shopify.
    timezone: str = "America/New_York"
    cache_ttl_s: int = Field(default=600, ge=0)
    deadline_s: float = Field(default=2.5, gt=0, le=9)
    # Conversion of FedEx amounts quoted in another currency than the checkout's, as
    # "FROM/TO": rate (1 FROM = rate TO), e.g. {"CAD/USD": "0.73"}. A quote in a currency with no
    # rate here is dropped (with an audit line), never mixed into a checkout in another currency.
    exchange_rates: dict[str, Decimal] = {}

    @model_validator(mode="after")
    def _exchange_rates(self) -> RatesConfig:
        for pair, rate in self.exchange_rates.items():
            parts = pair.split("/")
            if len(parts) != 2 or not all(len(p) == 3 and p.isalpha() and p.isupper() for p in parts):
                raise ValueError(f"exchange_rates: {pair!r} must look like 'CAD/USD'")
            if rate <= 0:
                raise ValueError(f"exchange_rates: {pair} must be positive")
        return self

    def fingerprint(self) -> str:
        """Short hash of the rules, for cache keys of anything derived from them."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]


def load_rates_config(path: str | Path | None = None) -> RatesConfig:
    source = Path(path) if path else DEFAULT_PATH
    if not source.is_absolute():
        source = APP_ROOT / source
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RatesConfigError(f"rates config {source}: {error}") from None
    try:
        return RatesConfig.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5])
        raise RatesConfigError(f"rates config {source}: {problems}") from None
