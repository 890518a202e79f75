"""Start-up and run-time settings of the FedEx emulator (everything has a working local default)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from sandbox.emulators.faults import FaultConfig

# Settings that PUT /_emulator/config may change at run time (everything except the clock/faults).
RUNTIME_FIELDS = frozenset(
    {
        "client_id",
        "client_secret",
        "account_number",
        "token_lifetime_s",
        "scope",
        "rate_limit",
        "rate_window_s",
        "daily_quota",
        "price_factor",
        "fuel_surcharge_percent",
        "account_discount_percent",
        "residential_surcharge",
        "additional_handling_surcharge",
        "tax_percent",
        "unserved_countries",
        "unserved_postal_codes",
        "no_date_services",
        "extra_service_types",
        "commit_date_field",
        "mojibake_names",
        "virtual_response",
        "ship_date_window_days",
        "currency",
    }
)
DECIMAL_FIELDS = frozenset(
    {
        "price_factor",
        "fuel_surcharge_percent",
        "account_discount_percent",
        "residential_surcharge",
        "additional_handling_surcharge",
    }
)


@dataclass
class FedexEmulatorConfig:
    # OAuth: the one API key/secret pair accepted (FedEx: API Key = client_id, Secret Key = client_secret).
    client_id: str = "local-fedex-client"
    client_secret: str = "local-fedex-secret"
    # Observed sandbox value is 3599 s (reference §1.2); tests shorten it to expire tokens quickly.
    token_lifetime_s: float = 3599.0
    scope: str = "CXS"
    # The FedEx account the credentials belong to; any other accountNumber.value is rejected.
    account_number: str = "740561073"
    # "1400 transactions in the span of 10 seconds" per project (reference §2.9); None disables.
    rate_limit: int | None = 1400
    rate_window_s: float = 10.0
    # Organisation daily quota (FedEx publishes no Rate default); None = unlimited.
    daily_quota: int | None = None
    # Pricing (see pricing.py): a global factor on base rates, the fuel surcharge percent, the
    # negotiated (ACCOUNT) discount on freight, flat per-package surcharges and a tax by country.
    price_factor: Decimal = Decimal("1")
    fuel_surcharge_percent: Decimal = Decimal("18.5")
    account_discount_percent: Decimal = Decimal("12")
    residential_surcharge: Decimal = Decimal("5.95")
    additional_handling_surcharge: Decimal = Decimal("28.50")
    tax_percent: dict[str, str] = field(default_factory=lambda: {"CA": "13"})
    currency: str = "USD"
    # Destinations FedEx does not serve here: 400 RATE.LOCATION.NOSERVICE (reference §2.7, §6.6).
    unserved_countries: list[str] = field(default_factory=lambda: ["CU", "IR", "KP", "SY"])
    unserved_postal_codes: list[str] = field(default_factory=lambda: ["00000", "99999"])
    # Realism toggles (reference §2.5, §6.5).
    no_date_services: list[str] = field(default_factory=list)  # commit.label "Delivery date unavailable"
    extra_service_types: list[str] = field(default_factory=list)  # e.g. FEDEX_PRIORITY_OVERNIGHT_EXTRA_HOURS
    commit_date_field: str = "dayFormat"  # "dayFormat" | "dayCxsFormat" | "both"
    mojibake_names: bool = False  # "FedEx Ground\u00c2\u00ae" as in FedEx's example
    virtual_response: bool = False  # sandbox VIRTUAL.RESPONSE alert
    # shipDateStamp must be today .. today + N days (reference §2.2).
    ship_date_window_days: int = 10
    faults: FaultConfig | None = None
    # Wall clock (seconds since the epoch) for token expiry, rate windows and "today".
    clock: Callable[[], float] = time.time

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a run-time change (PUT /_emulator/config); raises ValueError on unknown/bad fields."""
        unknown = sorted(set(changes) - RUNTIME_FIELDS)
        if unknown:
            raise ValueError(f"unknown or read-only setting(s): {', '.join(unknown)}")
        for name, value in changes.items():
            if name in DECIMAL_FIELDS:
                value = Decimal(str(value))
                if value < 0:
                    raise ValueError(f"{name} must not be negative")
            if name == "commit_date_field" and value not in ("dayFormat", "dayCxsFormat", "both"):
                raise ValueError("commit_date_field must be dayFormat, dayCxsFormat or both")
            setattr(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("clock", "faults", "client_secret"):
                continue
            value = getattr(self, f.name)
            out[f.name] = str(value) if isinstance(value, Decimal) else value
        return out
