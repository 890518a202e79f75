"""Items into packages: first-fit decreasing by weight, then the smallest configured box that
carries each package's weight.

Shopify sends only weights (``grams`` per unit), no item dimensions, so weight is the packing
constraint and each box's ``max_weight_lb`` stands in for its capacity. Box dimensions still
matter: FedEx bills max(actual, L*W*H/139), so the smallest box that carries the load keeps the
DIM weight (and the price) honest instead of quoting every cart in one large default box.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_UP, Decimal

from integration.clients.fedex import Parcel
from integration.rates.config import Box, Packaging
from integration.rates.request import ShopifyItem

GRAMS_PER_LB = Decimal("453.59237")
FEDEX_MAX_PACKAGE_LB = Decimal("150")
FEDEX_MAX_PACKAGES = 99


class PackagingError(ValueError):
    """The cart cannot be shipped as FedEx parcels (too heavy a unit, too many packages)."""


@dataclass
class _Bin:
    content_lb: Decimal


def unit_weight_lb(item: ShopifyItem, packaging: Packaging) -> Decimal:
    weight = Decimal(item.grams) / GRAMS_PER_LB
    return max(weight, packaging.min_item_weight_lb)


def _box_for(weight: Decimal, boxes: list[Box]) -> Box:
    by_size = sorted(boxes, key=lambda b: (b.volume, b.max_weight_lb))
    for box in by_size:
        if box.max_weight_lb >= weight + box.tare_lb:
            return box
    return max(boxes, key=lambda b: (b.max_weight_lb, b.volume))


def pack(items: list[ShopifyItem], packaging: Packaging) -> list[Parcel]:
    """Whole units into at most ``FEDEX_MAX_PACKAGES`` bins. Counting is arithmetic (units per bin,
    bins per line), so the work is bounded by lines x packages, never by the quantity asked for."""
    capacity = min(packaging.max_package_weight_lb, max(b.max_weight_lb - b.tare_lb for b in packaging.boxes))
    weighted = sorted(
        ((unit_weight_lb(i, packaging), i.quantity) for i in items if i.quantity > 0),
        key=lambda pair: pair[0],
        reverse=True,
    )
    bins: list[_Bin] = []
    oversize: list[Decimal] = []
    for weight, quantity in weighted:
        if weight > capacity:
            # A unit heavier than any box ships on its own (its own carton); FedEx's limit still holds.
            if weight > FEDEX_MAX_PACKAGE_LB:
                raise PackagingError(f"a unit weighs {weight:.1f} lb, over FedEx's 150 lb per package")
            _check_count(len(bins) + len(oversize) + quantity)
            oversize.extend([weight] * quantity)
            continue
        if weight <= 0:  # weightless units (min_item_weight_lb = 0) ride along in any package
            if not bins:
                bins.append(_Bin(Decimal(0)))
            continue
        left = quantity
        for existing in bins:  # first fit, by whole units that still fit
            if not left:
                break
            fits = int((capacity - existing.content_lb) // weight)
            take = min(fits, left)
            existing.content_lb += weight * take
            left -= take
        per_bin = int(capacity // weight)
        full, rest = divmod(left, per_bin)
        _check_count(len(bins) + len(oversize) + full + (1 if rest else 0))
        bins.extend(_Bin(weight * per_bin) for _ in range(full))
        if rest:
            bins.append(_Bin(weight * rest))
    _check_count(len(bins) + len(oversize))
    parcels = []
    for content in [b.content_lb for b in bins]:
        box = _box_for(content, packaging.boxes)
        parcels.append(
            Parcel(
                weight_lb=_lb(content + box.tare_lb),
                length_in=box.length_in,
                width_in=box.width_in,
                height_in=box.height_in,
            )
        )
    # Oversize units: their own carton, dimensions unknown, so FedEx rates them by actual weight.
    parcels.extend(Parcel(weight_lb=_lb(w)) for w in oversize)
    return parcels


def _check_count(packages: int) -> None:
    if packages > FEDEX_MAX_PACKAGES:
        raise PackagingError(f"more than {FEDEX_MAX_PACKAGES} packages")


def _lb(value: Decimal) -> Decimal:
    return max(Decimal("0.1"), value.quantize(Decimal("0.01"), rounding=ROUND_UP))
