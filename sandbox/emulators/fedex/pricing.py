"""Deterministic prices (documented in README; invented numbers, FedEx's structure).

Per physical package:

* billable weight = max(actual weight, DIM weight) in whole lb, rounded up, where
  DIM weight = L * W * H (inches) / 139 (reference §2.8); ``ratedWeightMethod`` is ``DIM`` when the
  DIM weight wins;
* base (LIST) = (minimum + per_lb * (billable - 1)) * (1 + 0.11 * (zone - 2)) * price_factor;
* ACCOUNT = LIST less ``account_discount_percent`` on freight (``totalDiscounts``);
* surcharges: RESIDENTIAL_DELIVERY (flat, residential recipients), ADDITIONAL_HANDLING (flat,
  longest side > 48 in or second-longest > 30 in), FUEL = fuel % * (net freight + other surcharges);
* taxes only for a domestic lane in a country with ``tax_percent`` (Canada's HST by default), so
  ``totalNetCharge`` = ``totalNetFedExCharge`` + taxes as in the recorded CA reply (reference §2.4).

Money is Decimal, rounded half-up to the cent at each charge, and summed from the rounded charges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from sandbox.emulators.fedex.config import FedexEmulatorConfig
from sandbox.emulators.fedex.services import Service
from sandbox.emulators.fedex.shipment import Package, Shipment, ceil_lb

CENT = Decimal("0.01")
DIM_DIVISOR = 139
ZONE_STEP = Decimal("0.11")
SURCHARGE_TEXT = {
    "FUEL": "Fuel Surcharge",
    "RESIDENTIAL_DELIVERY": "Residential delivery surcharge",
    "ADDITIONAL_HANDLING": "Additional Handling Surcharge - Dimension",
}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class PackageCharge:
    billing_lb: int
    dim_lb: int | None
    method: str  # ACTUAL | DIM
    base: Decimal
    discount: Decimal
    surcharges: list[tuple[str, Decimal]] = field(default_factory=list)
    tax: Decimal = Decimal("0")

    @property
    def net_freight(self) -> Decimal:
        return self.base - self.discount

    @property
    def total_surcharges(self) -> Decimal:
        return sum((amount for _, amount in self.surcharges), Decimal("0"))

    @property
    def net_fedex(self) -> Decimal:
        return self.net_freight + self.total_surcharges

    @property
    def net_charge(self) -> Decimal:
        return self.net_fedex + self.tax


def dim_weight_lb(package: Package) -> int | None:
    if package.dims_in is None:
        return None
    length, width, height = package.dims_in
    return int((length * width * height / DIM_DIVISOR).to_integral_value(rounding=ROUND_CEILING))


def _needs_additional_handling(package: Package) -> bool:
    if package.dims_in is None:
        return False
    sides = sorted(package.dims_in, reverse=True)
    return sides[0] > 48 or sides[1] > 30


def charge_package(
    package: Package, service: Service, zone: int, shipment: Shipment, config: FedexEmulatorConfig, rate_type: str
) -> PackageCharge:
    actual = ceil_lb(package.weight_lb)
    dim = dim_weight_lb(package)
    billing = max(actual, dim or 0)
    method = "DIM" if dim is not None and dim > actual else "ACTUAL"
    zone_factor = 1 + ZONE_STEP * (zone - 2)
    base = money((service.minimum + service.per_lb * (billing - 1)) * zone_factor * config.price_factor)
    discount = money(base * config.account_discount_percent / 100) if rate_type == "ACCOUNT" else Decimal("0.00")
    charge = PackageCharge(billing_lb=billing, dim_lb=dim, method=method, base=base, discount=discount)
    if shipment.residential:
        charge.surcharges.append(("RESIDENTIAL_DELIVERY", money(config.residential_surcharge)))
    if _needs_additional_handling(package):
        charge.surcharges.append(("ADDITIONAL_HANDLING", money(config.additional_handling_surcharge)))
    fuel = money((charge.net_freight + charge.total_surcharges) * config.fuel_surcharge_percent / 100)
    charge.surcharges.insert(0, ("FUEL", fuel))
    if shipment.origin_country == shipment.dest_country and shipment.dest_country in config.tax_percent:
        charge.tax = money(charge.net_fedex * Decimal(str(config.tax_percent[shipment.dest_country])) / 100)
    return charge
