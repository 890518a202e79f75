"""The check after F&O has the credit note: its totals (F&O computes tax, through Vertex where the
customer uses it) must equal the Shopify refund to the cent. No balancing line ever hides a difference:
a mismatch is an exception naming both values."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from integration.refunds.mapping import CreditNotePlan
from integration.refunds.model import CENT, ZERO, decimal_of


@dataclass(frozen=True)
class Mismatch:
    what: str  # "total" | "tax" | "lines"
    shopify: Decimal
    d365: Decimal

    @property
    def difference(self) -> Decimal:
        return self.d365 - self.shopify

    def as_values(self) -> dict[str, str]:
        return {
            "what": self.what,
            "shopify": str(self.shopify),
            "d365": str(self.d365),
            "difference": str(self.difference),
        }


def fo_totals(header: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Decimal]:
    """Credit amounts as positive numbers from F&O's (negative) return order totals.

    F&O's header totals are the source; line sums are the fallback where a deployment's entity does not
    return header totals."""
    line_amount = -sum((decimal_of(r.get("LineAmount")) for r in lines), ZERO)
    line_tax = -sum((decimal_of(r.get("TotalTaxAmount")) for r in lines), ZERO)
    total = header.get("OrderTotalAmount")
    tax = header.get("OrderTotalTaxAmount")
    return {
        "amount": line_amount,
        "tax": -decimal_of(tax) if tax is not None else line_tax,
        "total": -decimal_of(total) if total is not None else line_amount + line_tax,
        "line_tax": line_tax,
    }


def check_credit_note(plan: CreditNotePlan, header: dict[str, Any], lines: list[dict[str, Any]]) -> list[Mismatch]:
    """Differences between F&O's credit note and the Shopify refund (empty when they agree)."""
    totals = fo_totals(header, lines)
    problems = []
    if len(lines) != len(plan.lines):
        problems.append(Mismatch("lines", Decimal(len(plan.lines)), Decimal(len(lines))))
    if totals["tax"].quantize(CENT) != plan.tax.quantize(CENT):
        problems.append(Mismatch("tax", plan.tax.quantize(CENT), totals["tax"].quantize(CENT)))
    if totals["total"].quantize(CENT) != plan.total.quantize(CENT):
        problems.append(Mismatch("total", plan.total.quantize(CENT), totals["total"].quantize(CENT)))
    return problems


def tax_or_total(mismatches: list[Mismatch]) -> str:
    """The reason code: a tax difference (F&O's tax engine disagrees, amounts equal) or a total one."""
    by_what = {m.what: m for m in mismatches}
    tax, total = by_what.get("tax"), by_what.get("total")
    if tax is not None and "lines" not in by_what and (total is None or total.difference == tax.difference):
        return "refund_tax_mismatch"
    return "refund_total_mismatch"
