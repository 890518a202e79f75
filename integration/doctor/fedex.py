"""FedEx preflight: OAuth, one domestic and one international sample rate (with customs data)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from integration.clients.fedex import Address, FedexAuthError, FedexClient, FedexError, Parcel, RateQuery
from integration.doctor.check import Check, guarded
from integration.rates.customs import CustomsConfig, commodities, load_customs
from integration.rates.request import parse_rate_request
from shared.settings import Settings

SYSTEM = "FedEx"
ORIGIN = Address("US", "10001", "NY")
DOMESTIC = Address("US", "90210", "CA")
ABROAD = Address("CA", "K1M1M4", "ON")


def _sample_commodities(customs: CustomsConfig) -> tuple:
    rate = parse_rate_request(
        {
            "rate": {
                "origin": {"country": "US", "postal_code": "10001"},
                "destination": {"country": "CA", "postal_code": "K1M1M4"},
                "items": [{"name": "Preflight sample", "sku": "", "quantity": 1, "grams": 500, "price": 2000}],
                "currency": "USD",
            }
        }
    )
    return commodities(rate, customs)


async def _run(settings: Settings) -> list[Check]:
    out: list[Check] = []
    async with FedexClient.from_settings(settings) as client:
        try:
            await client.token()
        except FedexAuthError as error:
            return [
                Check(
                    SYSTEM,
                    "OAuth",
                    False,
                    str(error)[:200],
                    "check FEDEX_CLIENT_ID / FEDEX_CLIENT_SECRET and FEDEX_URL",
                )
            ]
        out.append(Check(SYSTEM, "OAuth", True, "token issued"))
        samples = {
            "domestic rate": RateQuery(ORIGIN, DOMESTIC, (Parcel(Decimal("2")),)),
            "international rate": RateQuery(
                ORIGIN, ABROAD, (Parcel(Decimal("2")),), commodities=_sample_commodities(load_customs())
            ),
        }
        for name, query in samples.items():
            try:
                quotes = await client.rate(query)
            except FedexError as error:
                out.append(
                    Check(
                        SYSTEM,
                        name,
                        False,
                        str(error)[:200],
                        "check FEDEX_ACCOUNT_NUMBER, the account's services and the customs mapping",
                    )
                )
                continue
            services = ", ".join(sorted(q.service_type for q in quotes))
            out.append(
                Check(
                    SYSTEM,
                    name,
                    bool(quotes),
                    services or "no service quoted",
                    "" if quotes else "check the account's services",
                )
            )
    return out


def checks(settings: Settings) -> list[Check]:
    if not (
        settings.FEDEX_CLIENT_ID and settings.FEDEX_CLIENT_SECRET.get_secret_value() and settings.FEDEX_ACCOUNT_NUMBER
    ):
        return [
            Check(
                SYSTEM,
                "settings",
                False,
                "FEDEX_CLIENT_ID / FEDEX_CLIENT_SECRET / FEDEX_ACCOUNT_NUMBER not set",
                "set them",
            )
        ]
    return guarded(SYSTEM, "FedEx", "check the FEDEX_* settings", lambda: asyncio.run(_run(settings)))
