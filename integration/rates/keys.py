"""The normalized cache key of a FedEx quote.

What FedEx prices: origin, destination (postal codes normalized: US ZIP+4 → ZIP5, spaces and case
removed), residential flag, the parcels (weights to 0.1 lb, dimensions), rate types and account.
The ship timestamp is left out on purpose (a timestamp in the key makes every request a miss;
reference fedex.md §4.2); the TTL bounds staleness instead. Cart value and rules are not in the key:
quotes are cached, rules are applied after the cache, so a changed cart total still gets the
right free-shipping decision.
"""

from __future__ import annotations

import hashlib
import json
from decimal import ROUND_UP, Decimal

from integration.clients.fedex import RateQuery

KEY_VERSION = "fedex-rates:v1"


def normalize_postal(country: str, postal: str) -> str:
    text = "".join(postal.split()).upper()
    if country.upper() in ("US", "PR"):
        return text.split("-")[0][:5]
    return text


def rate_cache_key(query: RateQuery, account_number: str) -> str:
    parcels = sorted(
        (
            str(p.weight_lb.quantize(Decimal("0.1"), rounding=ROUND_UP)),
            p.length_in or 0,
            p.width_in or 0,
            p.height_in or 0,
        )
        for p in query.parcels
    )
    canonical: dict[str, object] = {
        "a": account_number,
        "o": [query.origin.country.upper(), normalize_postal(query.origin.country, query.origin.postal_code)],
        "d": [
            query.destination.country.upper(),
            normalize_postal(query.destination.country, query.destination.postal_code),
            query.destination.residential,
        ],
        "p": parcels,
        "s": query.service_type or "",
        "t": sorted(query.rate_request_types),
    }
    if query.commodities:  # international: what is declared to customs is part of what FedEx rates
        canonical["c"] = [
            [c.harmonized_code or "", c.country_of_manufacture, c.quantity, str(c.customs_value), c.currency]
            for c in query.commodities
        ]
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"{KEY_VERSION}:{digest[:40]}"
