"""One typed settings object, read lazily from the environment (app settings in Azure,
``local.settings.json`` ``Values`` under ``func start``, the environment for the local host).

Nothing here runs at import time: a bad setting must fail the function that needs it, with the
setting's name, and never break every function of the app at start-up.
"""

from __future__ import annotations

import os
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import Field, HttpUrl, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The Shopify Admin API version the app is written and tested against: the one place it is named.
# Shopify supports a version for 12 months; a retired version "falls forward" to the oldest
# supported one, which the client notices from the X-Shopify-API-Version response header.
SHOPIFY_API_VERSION_DEFAULT = "2026-10"
# The oldest version whose shapes the app can speak (changeFromQuantity, @idempotent, uri).
SHOPIFY_API_VERSION_MINIMUM = "2026-01"


class SettingsError(RuntimeError):
    """A missing or malformed setting. The message names the setting(s) and never the value."""


# App Service passes a Key Vault reference through as its literal text when it cannot resolve it
# (no access, wrong name, vault unreachable). That text is derivable from public facts, so using it
# as an HMAC key would fail open: such a value counts as missing, for every setting.
KEY_VAULT_REFERENCE = "@microsoft.keyvault("


def is_unresolved_reference(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(KEY_VAULT_REFERENCE)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True, populate_by_name=True)

    # Storage: a connection string, or identity-based `AzureWebJobsStorage__*` settings (see storage.py).
    AzureWebJobsStorage: str = ""

    # Shopify
    SHOPIFY_SHOP_DOMAIN: str = ""
    SHOPIFY_ADMIN_TOKEN: SecretStr = SecretStr("")
    SHOPIFY_API_SECRET: SecretStr = SecretStr("")
    # Accepted during a client-secret rotation: webhooks may be signed with either secret for up to an hour.
    SHOPIFY_API_SECRET_PREVIOUS: SecretStr = SecretStr("")
    SHOPIFY_API_VERSION: str = SHOPIFY_API_VERSION_DEFAULT
    SHOPIFY_ADMIN_URL: HttpUrl | None = None

    # Dynamics 365 F&O
    D365_URL: HttpUrl | None = None
    D365_LEGAL_ENTITY: str = ""
    D365_TENANT_ID: str = ""
    D365_CLIENT_ID: str = ""
    D365_CLIENT_SECRET: SecretStr = SecretStr("")
    D365_TOKEN: SecretStr = SecretStr("")

    # FedEx
    FEDEX_URL: HttpUrl = HttpUrl("https://apis.fedex.com")
    FEDEX_CLIENT_ID: str = ""
    FEDEX_CLIENT_SECRET: SecretStr = SecretStr("")
    FEDEX_ACCOUNT_NUMBER: str = ""

    # Dynamics 365 Sales / Customer Service (Dataverse): the optional CRM flow, on when DATAVERSE_URL is set.
    DATAVERSE_URL: HttpUrl | None = None
    DATAVERSE_TENANT_ID: str = ""
    DATAVERSE_CLIENT_ID: str = ""
    DATAVERSE_CLIENT_SECRET: SecretStr = SecretStr("")
    DATAVERSE_TOKEN: SecretStr = SecretStr("")
    # Publisher prefix of the custom columns (and alternate keys) the CRM flow needs; docs/flows/crm.md.
    DATAVERSE_COLUMN_PREFIX: str = "shop_"
    # A contact found by e-mail/phone that the integration does not own: review | create | update.
    DATAVERSE_CONFLICT_MODE: str = "review"
    # Order lines as write-in products, or existing products by SKU (productnumber) with a price list.
    DATAVERSE_PRODUCT_MODE: str = "writein"
    DATAVERSE_PRICE_LIST_ID: str = ""
    # address1_country / shipto_country as the country name, ISO-2 or ISO-3 code.
    DATAVERSE_COUNTRY_FORMAT: str = "name"

    REDIS_URL: str = ""
    # Shopify signs carrier-service callbacks like webhooks; an unsigned or badly signed callback is
    # refused (401). "true" accepts unsigned callbacks: a risk (an open FedEx proxy), see docs/security.md.
    CARRIER_RATES_ALLOW_UNSIGNED: bool = False
    RATE_QUOTES_RETENTION_DAYS: int = Field(default=30, gt=0)
    # Checkout-rate rules (services, markups, boxes, fallback table), relative to the app root.
    RATES_CONFIG_PATH: str = "config/rates.json"

    # Webhook intake
    WEBHOOK_MAX_BODY_BYTES: int = Field(default=5 * 1024 * 1024, gt=0)
    WEBHOOK_RETENTION_DAYS: int = Field(default=14, gt=0)
    AUDIT_RETENTION_DAYS: int = Field(default=90, gt=0)

    # Inventory push: location/warehouse mapping, measure, safety stock (relative to the app root).
    INVENTORY_CONFIG_PATH: str = "config/inventory.json"
    INVENTORY_SYNC_SCHEDULE: str = "0 */5 * * * *"

    # Product and price master F&O -> Shopify: lifecycle states, SKUs, ownership, price lists (app-root relative).
    CATALOG_CONFIG_PATH: str = "config/catalog.json"
    CATALOG_SYNC_SCHEDULE: str = "0 */15 * * * *"

    # Order sync (Shopify orders -> F&O sales orders)
    D365_ORDER_NUMBER_PREFIX: str = "SH"
    D365_CUSTOMER_PREFIX: str = "SC"
    D365_FREIGHT_ITEM: str = "FREIGHT"
    ORDER_RECONCILE_SCHEDULE: str = "0 */15 * * * *"
    # Customer sync writes Shopify's contact fields only to accounts the integration created or links
    # a person confirmed; true also writes to accounts matched by e-mail or phone.
    CUSTOMER_SYNC_WRITE_MATCHED: bool = False
    ORDER_RECONCILE_LOOKBACK_MINUTES: int = Field(default=120, gt=0)
    # Order listings (reconciliation, the ops reconcile route) over a window longer than this many
    # hours run as one Shopify bulk query instead of paging; 0 always pages.
    SHOPIFY_BULK_RANGE_HOURS: float = Field(default=24, ge=0)

    # Fulfillment sync (F&O packing slips -> Shopify fulfillments)
    FULFILLMENT_SYNC_SCHEDULE: str = "0 */5 * * * *"
    FULFILLMENT_NOTIFY_CUSTOMER: bool = True
    FULFILLMENT_REQUIRE_TRACKING: bool = True
    FULFILLMENT_TRACKING_COMPANY: str = "FedEx"
    FULFILLMENT_TRACKING_URL_TEMPLATE: str = "https://www.fedex.com/fedextrack/?trknbr={number}"
    FULFILLMENT_OVERLAP_MINUTES: int = Field(default=30, ge=0)
    FULFILLMENT_LOOKBACK_DAYS: int = Field(default=7, gt=0)

    # Refunds (Shopify refunds -> F&O credit notes as return orders)
    D365_RETURN_NUMBER_PREFIX: str = "RF"
    D365_RETURN_DISPOSITION_RESTOCK: str = "Credit"
    D365_RETURN_DISPOSITION_NO_RESTOCK: str = "CreditOnly"
    D365_RETURN_REASON_CODE: str = ""
    D365_REFUND_MISC_ITEM: str = ""
    D365_REFUND_DUTY_ITEM: str = ""
    REFUND_UNINVOICED_ACTION: str = "reduce_order"
    REFUND_WAIT_HORIZON_HOURS: float = Field(default=72, gt=0)
    REFUND_RETRY_BASE_SECONDS: float = Field(default=60, ge=0)
    REFUND_RETRY_MAX_SECONDS: float = Field(default=3600, ge=0, le=7 * 24 * 3600)

    # Payments (Shopify transactions -> F&O customer payment journals; payouts -> payout journals)
    PAYMENTS_CONFIG_PATH: str = "config/payments.json"
    PAYMENTS_SYNC_SCHEDULE: str = "0 0 * * * *"
    PAYMENTS_LOOKBACK_DAYS: int = Field(default=30, gt=0)

    # Freight audit: drift (FedEx billed - quoted) beyond max(amount, percent of the quote) is flagged
    FREIGHT_DRIFT_TOLERANCE: Decimal = Field(default=Decimal("1.00"), ge=0)
    FREIGHT_DRIFT_TOLERANCE_PERCENT: Decimal = Field(default=Decimal("10"), ge=0)
    FREIGHT_INVOICE_CONTAINER: str = "fedex-invoices"
    FREIGHT_INVOICE_SCHEDULE: str = "0 */15 * * * *"

    # Key for the keyed fingerprints of personal data in the audit log and exceptions (shared.redact).
    # From Key Vault in Azure; only local settings carry a default.
    REDACTION_KEY: SecretStr = SecretStr("")

    # Names of settings whose value was an unresolved Key Vault reference (treated as missing).
    _unresolved: frozenset[str] = PrivateAttr(default_factory=frozenset)

    @property
    def unresolved(self) -> frozenset[str]:
        return self._unresolved

    @field_validator("DATAVERSE_CONFLICT_MODE", "DATAVERSE_PRODUCT_MODE", "DATAVERSE_COUNTRY_FORMAT")
    @classmethod
    def _choice(cls, value: str, info: Any) -> str:
        allowed = {
            "DATAVERSE_CONFLICT_MODE": ("review", "create", "update"),
            "DATAVERSE_PRODUCT_MODE": ("writein", "sku"),
            "DATAVERSE_COUNTRY_FORMAT": ("name", "iso2", "iso3"),
        }[info.field_name]
        value = value.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    @field_validator("DATAVERSE_COLUMN_PREFIX")
    @classmethod
    def _prefix(cls, value: str) -> str:
        value = value.strip().lower()
        if not value.endswith("_") or not value[:-1].isalnum():
            raise ValueError("must be a publisher prefix such as shop_")
        return value

    @field_validator("SHOPIFY_ADMIN_URL", "D365_URL", "DATAVERSE_URL", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # An empty optional URL (a blank app setting) means "not set", not "malformed": it must not
        # take every function down with a validation error.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("FEDEX_URL", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return "https://apis.fedex.com" if isinstance(value, str) and not value.strip() else value

    @field_validator("SHOPIFY_SHOP_DOMAIN")
    @classmethod
    def _shop_domain(cls, value: str) -> str:
        value = value.strip().lower()
        if value and ("/" in value or " " in value):
            raise ValueError("must be a bare domain such as example.myshopify.com")
        return value

    @field_validator("SHOPIFY_API_VERSION")
    @classmethod
    def _api_version(cls, value: str) -> str:
        parts = value.split("-")
        if value != "unstable" and (len(parts) != 2 or not all(p.isdigit() for p in parts)):
            raise ValueError(f"must look like {SHOPIFY_API_VERSION_DEFAULT} (or 'unstable')")
        return value

    def require(self, *names: str) -> None:
        """Fail loudly, naming every setting a flow needs that is empty."""
        missing = [n for n in names if not _has_value(getattr(self, n))]
        if missing:
            unresolved = [n for n in missing if n in self.unresolved]
            hint = f"; unresolved Key Vault reference: {', '.join(unresolved)}" if unresolved else ""
            raise SettingsError(
                f"missing setting(s): {', '.join(missing)} (set them as app settings, or in "
                f"local.settings.json / the environment when running locally){hint}"
            )

    def webhook_secrets(self) -> list[bytes]:
        """The HMAC keys; empty (so callers refuse everything) unless the current secret is set: the
        previous one is only an addition during a rotation, never a fallback."""
        if not _has_value(self.SHOPIFY_API_SECRET):
            return []
        secrets = [s.get_secret_value() for s in (self.SHOPIFY_API_SECRET, self.SHOPIFY_API_SECRET_PREVIOUS)]
        return [s.encode() for s in secrets if s]


def _has_value(value: Any) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return value is not None and value != ""


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        name = ".".join(str(p) for p in item["loc"]) or "?"
        parts.append(f"{name}: {item['msg']}")
    return "; ".join(parts)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default: the process environment)."""
    source = dict(os.environ if environ is None else environ)
    fields = {k: v for k, v in source.items() if k in Settings.model_fields}
    unresolved = frozenset(k for k, v in fields.items() if is_unresolved_reference(v))
    try:
        # The default, explicitly: a field left out would be read from the process environment again.
        defaults = {k: Settings.model_fields[k].get_default(call_default_factory=True) for k in unresolved}
        settings = Settings.model_validate({k: v for k, v in fields.items() if k not in unresolved} | defaults)
    except ValidationError as error:
        raise SettingsError(f"invalid setting(s): {_describe(error)}") from None
    settings._unresolved = unresolved
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return load_settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
