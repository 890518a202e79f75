"""The CRM flow's configuration: the custom columns (and alternate keys) it needs in Dataverse, all
named from one publisher prefix, and its policies. Built from settings; plain values inside."""

from __future__ import annotations

from dataclasses import dataclass

from shared.settings import Settings

ENTITY_CONTACT = "crm-contact"
ENTITY_ORDER = "crm-order"


@dataclass(frozen=True)
class CrmConfig:
    prefix: str = "shop_"
    conflict_mode: str = "review"  # review | create | update
    product_mode: str = "writein"  # writein | sku
    price_list_id: str = ""
    country_format: str = "name"  # name | iso2 | iso3

    @classmethod
    def from_settings(cls, settings: Settings) -> CrmConfig:
        return cls(
            prefix=settings.DATAVERSE_COLUMN_PREFIX,
            conflict_mode=settings.DATAVERSE_CONFLICT_MODE,
            product_mode=settings.DATAVERSE_PRODUCT_MODE,
            price_list_id=settings.DATAVERSE_PRICE_LIST_ID,
            country_format=settings.DATAVERSE_COUNTRY_FORMAT,
        )

    # Alternate keys (one column each): the prerequisite documented in docs/flows/crm.md.
    @property
    def contact_key(self) -> str:
        return f"{self.prefix}shopifycustomerid"

    @property
    def account_key(self) -> str:
        return f"{self.prefix}shopifycompanyid"

    @property
    def order_key(self) -> str:
        return f"{self.prefix}shopifyorderid"

    @property
    def line_key(self) -> str:
        return f"{self.prefix}shopifylineid"

    # Plain custom columns on salesorder.
    @property
    def order_name(self) -> str:
        return f"{self.prefix}shopifyordername"

    @property
    def fo_number(self) -> str:
        return f"{self.prefix}fosalesorderid"

    @property
    def tracking(self) -> str:
        return f"{self.prefix}trackingnumbers"

    @property
    def refunded(self) -> str:
        return f"{self.prefix}refundedamount"

    @property
    def credit_notes(self) -> str:
        return f"{self.prefix}creditnotes"

    @property
    def invoice_numbers(self) -> str:
        return f"{self.prefix}invoicenumbers"

    def custom_columns(self) -> dict[str, list[tuple[str, str]]]:
        """Table -> (column, Dataverse AttributeType) of every custom column the flow writes (doctor)."""
        return {
            "contact": [(self.contact_key, "String")],
            "account": [(self.account_key, "String")],
            "salesorder": [
                (self.order_key, "String"),
                (self.order_name, "String"),
                (self.fo_number, "String"),
                (self.tracking, "Memo"),
                (self.refunded, "Money"),
                (self.credit_notes, "Memo"),
                (self.invoice_numbers, "Memo"),
            ],
            "salesorderdetail": [(self.line_key, "String")],
        }

    def alternate_keys(self) -> dict[str, str]:
        """Table -> the column its alternate key must consist of (doctor)."""
        return {
            "contact": self.contact_key,
            "account": self.account_key,
            "salesorder": self.order_key,
            "salesorderdetail": self.line_key,
        }
