"""The after-create check (F&O totals vs the Shopify refund) and the configuration."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integration.refunds.config import RefundConfig
from integration.refunds.mapping import plan_credit_note
from integration.refunds.model import parse_refund
from integration.refunds.validation import check_credit_note, tax_or_total
from shared.settings import SettingsError, load_settings
from tests.unit.refunds.factories import order, refund, refund_line, sales_line


def _plan():
    fo = order(sales_line("L1", "SKU-A", 1, qty="2", amount="20.00"))
    return plan_credit_note(parse_refund(refund(refund_line(1, 2, "20.00", "1.45", "SKU-A"))), fo, RefundConfig())


def test_equal_totals_pass() -> None:
    lines = [{"LineAmount": Decimal("-20.00"), "TotalTaxAmount": Decimal("-1.45")}]
    header = {"OrderTotalAmount": Decimal("-21.45"), "OrderTotalTaxAmount": Decimal("-1.45")}
    assert check_credit_note(_plan(), header, lines) == []


def test_a_tax_difference_names_both_values() -> None:
    lines = [{"LineAmount": Decimal("-20.00"), "TotalTaxAmount": Decimal("-1.60")}]
    header = {"OrderTotalAmount": Decimal("-21.60"), "OrderTotalTaxAmount": Decimal("-1.60")}
    problems = check_credit_note(_plan(), header, lines)
    assert [p.as_values() for p in problems] == [
        {"what": "tax", "shopify": "1.45", "d365": "1.60", "difference": "0.15"},
        {"what": "total", "shopify": "21.45", "d365": "21.60", "difference": "0.15"},
    ]
    assert tax_or_total(problems) == "refund_tax_mismatch"


def test_an_amount_difference_is_a_total_mismatch_and_line_sums_are_the_fallback() -> None:
    lines = [{"LineAmount": Decimal("-19.00"), "TotalTaxAmount": Decimal("-1.45")}]
    problems = check_credit_note(_plan(), {}, lines)
    assert [p.what for p in problems] == ["total"] and tax_or_total(problems) == "refund_total_mismatch"
    assert tax_or_total(check_credit_note(_plan(), {}, [])) == "refund_total_mismatch"


def test_config_from_settings() -> None:
    config = RefundConfig.from_settings(
        load_settings(
            {"D365_RETURN_NUMBER_PREFIX": "CN", "REFUND_UNINVOICED_ACTION": "wait", "REFUND_WAIT_HORIZON_HOURS": "2"}
        )
    )
    assert config.return_number("9") == "CN9" and config.uninvoiced_action == "wait"
    assert config.wait_horizon_s == 7200 and [config.retry_delay(n) for n in (1, 2, 7, 9)] == [60, 120, 3600, 3600]
    with pytest.raises(SettingsError, match="REFUND_UNINVOICED_ACTION"):
        RefundConfig.from_settings(load_settings({"REFUND_UNINVOICED_ACTION": "later"}))
