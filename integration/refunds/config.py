"""Refund-flow configuration: the F&O codes and rules a deployment chooses, read from settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integration.refunds.model import RESTOCK_CANCEL, RESTOCK_LEGACY, RESTOCK_NONE, RESTOCK_RETURN
from shared.settings import Settings, SettingsError

REDUCE_ORDER = "reduce_order"
WAIT = "wait"


@dataclass(frozen=True)
class RefundConfig:
    return_number_prefix: str = "RF"
    freight_item: str = "FREIGHT"
    # Disposition codes (ReturnDispositionCodes): "return" goes back to stock, the others credit only.
    disposition_restock: str = "Credit"
    disposition_no_restock: str = "CreditOnly"
    return_reason_code: str = ""
    # Non-stock item for refund_discrepancy/goodwill adjustments and refunded duties; empty = exception.
    misc_item: str = ""
    duty_item: str = ""
    # Refund of an order with nothing invoiced yet: reduce the open sales order, or wait then exception.
    uninvoiced_action: str = REDUCE_ORDER
    wait_horizon_s: float = 72 * 3600
    retry_base_s: float = 60
    retry_max_s: float = 3600
    writeback_tag_prefix: str = "D365-CN-"
    metafield_namespace: str = "d365"

    def disposition(self, restock_type: str) -> str:
        if restock_type in (RESTOCK_RETURN, RESTOCK_LEGACY):
            return self.disposition_restock
        if restock_type in (RESTOCK_NONE, RESTOCK_CANCEL):
            return self.disposition_no_restock
        raise ValueError(f"unknown restock_type {restock_type!r}")

    def return_number(self, refund_id: str) -> str:
        """Deterministic return order / RMA number: a retry after a lost response hits "already exists"."""
        number = f"{self.return_number_prefix}{refund_id}"
        if len(number) > 20:  # F&O SalesId / RMA number are 20 characters
            raise SettingsError(f"D365_RETURN_NUMBER_PREFIX makes return number {number!r} longer than 20")
        return number

    def retry_delay(self, attempt: int) -> float:
        """Backoff before the next "not yet" attempt (attempt 1, 2, ...)."""
        return min(self.retry_max_s, self.retry_base_s * 2 ** max(0, attempt - 1))

    @classmethod
    def from_settings(cls, settings: Settings) -> RefundConfig:
        def get(name: str, default: Any) -> Any:
            return getattr(settings, name, default)

        action = str(get("REFUND_UNINVOICED_ACTION", REDUCE_ORDER))
        if action not in (REDUCE_ORDER, WAIT):
            raise SettingsError(f"REFUND_UNINVOICED_ACTION must be {REDUCE_ORDER!r} or {WAIT!r}")
        return cls(
            return_number_prefix=str(get("D365_RETURN_NUMBER_PREFIX", "RF")),
            freight_item=str(get("D365_FREIGHT_ITEM", "FREIGHT")),
            disposition_restock=str(get("D365_RETURN_DISPOSITION_RESTOCK", "Credit")),
            disposition_no_restock=str(get("D365_RETURN_DISPOSITION_NO_RESTOCK", "CreditOnly")),
            return_reason_code=str(get("D365_RETURN_REASON_CODE", "")),
            misc_item=str(get("D365_REFUND_MISC_ITEM", "")),
            duty_item=str(get("D365_REFUND_DUTY_ITEM", "")),
            uninvoiced_action=action,
            wait_horizon_s=float(get("REFUND_WAIT_HORIZON_HOURS", 72)) * 3600,
            retry_base_s=float(get("REFUND_RETRY_BASE_SECONDS", 60)),
            retry_max_s=float(get("REFUND_RETRY_MAX_SECONDS", 3600)),
        )
