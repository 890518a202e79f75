"""Payments configuration (``PAYMENTS_CONFIG_PATH``, default ``config/payments.json``), validated with
pydantic so a bad file fails the run loudly, naming the setting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from shared.settings import SettingsError

ROOT = Path(__file__).resolve().parent.parent.parent


class Gateway(BaseModel):
    treatment: Literal["payment", "exception"] = "payment"
    method: str = ""  # F&O method of payment (PaymentMethodName)
    offset_account_type: Literal["Ledger", "Bank"] = "Ledger"
    offset_account: str = ""
    reason: str = ""


class Payout(BaseModel):
    enabled: bool = True
    journal_name: str = "CustPay"
    bank_account: str
    clearing_account: str
    fee_account: str
    fee_lines: Literal["per_type", "total"] = "per_type"


class Posting(BaseModel):
    """Optional posting of the customer payment journals (off by default: posting is an accounting decision).

    Standard F&O has no OData action that posts a journal, and actions added to a standard entity by
    extension are not supported; the documented way to call X++ from outside is a custom service, whose
    JSON endpoint is ``/api/services/<service group>/<service>/<operation>``. ``service`` is that path
    (after ``/api/services/``) of the tenant's posting service (docs/flows/payments.md § Posting)."""

    enabled: bool = False
    service: str = "ShopifyIntegrationServices/CustomerPaymentJournalPostService/post"
    when: Literal["day_closed", "written"] = "day_closed"


class PaymentsConfig(BaseModel):
    journal_name: str = "CustPay"
    batch_by: Literal["day_gateway", "day", "order"] = "day_gateway"
    gateways: dict[str, Gateway] = Field(default_factory=dict)
    payout: Payout | None = None
    posting: Posting = Field(default_factory=Posting)

    def gateway(self, name: str) -> Gateway | None:
        return self.gateways.get(name.strip().lower())


def load_config(path: str) -> PaymentsConfig:
    file = Path(path)
    if not file.is_absolute():
        file = ROOT / file
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"PAYMENTS_CONFIG_PATH: file not found: {file}") from None
    except ValueError as error:
        raise SettingsError(f"PAYMENTS_CONFIG_PATH: not JSON: {error}") from None
    data.pop("_about", None)
    try:
        return PaymentsConfig.model_validate(data)
    except ValidationError as error:
        raise SettingsError(f"PAYMENTS_CONFIG_PATH: invalid: {error}") from None
