"""FedEx REST client: OAuth client credentials + Rates and Transit Times (reference: fedex.md §1-2).

* Token: cached until shortly before ``expires_in``; one token request at a time across concurrent
  callers (``asyncio.Lock`` with a re-check inside); on a 401 from the Rate API the token is
  dropped and fetched again once (FedEx: "cache the access token until the HTTP error code 401").
* Errors are classified once, here: 408/429/5xx, timeouts and dropped connections are retried
  within a small budget (``Retry-After`` honoured, capped) and then raise :class:`FedexTransient`;
  other 4xx raise :class:`FedexRejected` (never retried) carrying FedEx's error ``codes``.
* Money: the reply is parsed with ``parse_float=Decimal``. Each service's price is the ACCOUNT
  (negotiated) ``ratedShipmentDetails`` entry, else LIST, else the first; ``amount`` is
  ``totalNetFedExCharge`` (freight + surcharges, no taxes: Shopify taxes the shipping line itself),
  falling back to ``totalNetCharge`` (which includes FedEx-side taxes such as Canada's HST, §2.4).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_UP, Decimal
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from integration.errors import IntegrationError, Permanent, Transient
from shared.http import RETRYABLE_STATUS, TRANSPORT_ERRORS, CallStats, retry_after_seconds
from shared.settings import Settings

TOKEN_PATH = "/oauth/token"
RATE_PATH = "/rate/v1/rates/quotes"
# Well under Shopify's 3-10 s callback budget (reference §4.1); the rate service adds its own deadline.
DEFAULT_TIMEOUT = httpx.Timeout(4.0, connect=2.0)
NO_SERVICE_CODES = frozenset(
    {
        "RATE.LOCATION.NOSERVICE",
        "SERVICE.PACKAGECOMBINATION.INVALID",
        "RECIPIENT.COUNTRY.UNSERVICED",
        "SERVICETYPE.NOTSUPPORTED",
        "SELECTED.DESTINATION.SERVICETYPE.INVALID",
        "INCOUNTRY.SERVICES.NOTALLOWED",
    }
)
DAYS = {
    w: n
    for n, w in enumerate(
        (
            "ZERO",
            "ONE",
            "TWO",
            "THREE",
            "FOUR",
            "FIVE",
            "SIX",
            "SEVEN",
            "EIGHT",
            "NINE",
            "TEN",
            "ELEVEN",
            "TWELVE",
            "THIRTEEN",
            "FOURTEEN",
            "FIFTEEN",
        )
    )
}


class FedexError(IntegrationError):
    def __init__(
        self, message: str, status: int = 0, codes: tuple[str, ...] = (), transaction_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.codes, self.transaction_id = status, codes, transaction_id


class FedexAuthError(FedexError, Permanent):
    """Credentials refused (or a fresh token refused again): fix configuration, do not retry."""


class FedexRejected(FedexError, Permanent):
    """A permanent 4xx: FedEx will give the same answer to the same request."""

    @property
    def no_service(self) -> bool:
        return bool(NO_SERVICE_CODES & set(self.codes))


class FedexTransient(FedexError, Transient):
    """429/5xx/timeouts that outlasted the retry budget: use a fallback now, FedEx may recover."""


# -- request ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Address:
    country: str
    postal_code: str
    state: str | None = None
    city: str | None = None
    residential: bool = False


@dataclass(frozen=True)
class Parcel:
    weight_lb: Decimal
    length_in: int | None = None
    width_in: int | None = None
    height_in: int | None = None


@dataclass(frozen=True)
class Commodity:
    """One dutiable line of an international shipment (``customsClearanceDetail.commodities[]``)."""

    description: str
    quantity: int
    quantity_units: str
    weight_lb: Decimal
    customs_value: Decimal
    unit_price: Decimal
    currency: str
    country_of_manufacture: str
    harmonized_code: str | None = None
    part_number: str | None = None


@dataclass(frozen=True)
class RateQuery:
    origin: Address
    destination: Address
    parcels: tuple[Parcel, ...]
    ship_date: date | None = None
    service_type: str | None = None
    rate_request_types: tuple[str, ...] = ("ACCOUNT", "LIST")
    pickup_type: str = "DROPOFF_AT_FEDEX_LOCATION"
    return_transit_times: bool = True
    # International: the customs data FedEx needs to rate (empty for domestic shipments).
    commodities: tuple[Commodity, ...] = ()
    duties_payment_type: str = "SENDER"
    shipment_purpose: str = "SOLD"


def _address(a: Address) -> dict[str, Any]:
    out: dict[str, Any] = {"postalCode": a.postal_code, "countryCode": a.country.upper()}
    if a.state:
        out["stateOrProvinceCode"] = a.state.upper()[:2]
    if a.city:
        out["city"] = a.city
    out["residential"] = a.residential
    return out


def build_rate_request(query: RateQuery, account_number: str) -> dict[str, Any]:
    """The Rate API body (schema ``Full_Schema_Quote_Rate``): weights with at most two decimals,
    whole-inch dimensions, no empty elements (FedEx best practices, §2.2)."""
    items = []
    for parcel in query.parcels:
        weight = max(Decimal("0.01"), parcel.weight_lb.quantize(Decimal("0.01"), rounding=ROUND_UP))
        item: dict[str, Any] = {"weight": {"units": "LB", "value": float(weight)}}
        if parcel.length_in and parcel.width_in and parcel.height_in:
            item["dimensions"] = {
                "length": int(parcel.length_in),
                "width": int(parcel.width_in),
                "height": int(parcel.height_in),
                "units": "IN",
            }
        items.append(item)
    shipment: dict[str, Any] = {
        "shipper": {"address": _address(query.origin)},
        "recipient": {"address": _address(query.destination)},
        "pickupType": query.pickup_type,
        "rateRequestType": list(query.rate_request_types),
        "requestedPackageLineItems": items,
    }
    if query.commodities:
        shipment["customsClearanceDetail"] = customs_clearance_detail(query)
    if query.service_type:
        shipment["serviceType"] = query.service_type
    if query.ship_date:
        shipment["shipDateStamp"] = query.ship_date.isoformat()
    return {
        "accountNumber": {"value": account_number},
        "rateRequestControlParameters": {"returnTransitTimes": query.return_transit_times},
        "requestedShipment": shipment,
    }


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": float(amount.quantize(Decimal("0.01"))), "currency": currency}


def customs_clearance_detail(query: RateQuery) -> dict[str, Any]:
    """``customsClearanceDetail`` (schema ``CustomsClearanceDetail``): duties payment, the commercial
    invoice purpose and one commodity per cart line. The Rate API has no ``totalCustomsValue``: the
    commodities' ``customsValue`` carry the value."""
    commodities = []
    for c in query.commodities:
        item: dict[str, Any] = {
            "description": c.description,
            "quantity": c.quantity,
            "quantityUnits": c.quantity_units,
            "numberOfPieces": c.quantity,
            "weight": {"units": "LB", "value": float(c.weight_lb.quantize(Decimal("0.01"), rounding=ROUND_UP))},
            "customsValue": _money(c.customs_value, c.currency),
            "unitPrice": _money(c.unit_price, c.currency),
            "countryOfManufacture": c.country_of_manufacture,
        }
        if c.harmonized_code:
            item["harmonizedCode"] = c.harmonized_code
        if c.part_number:
            item["partNumber"] = c.part_number[:35]
        commodities.append(item)
    return {
        "dutiesPayment": {"paymentType": query.duties_payment_type},
        "commercialInvoice": {"shipmentPurpose": query.shipment_purpose},
        "commodities": commodities,
    }


# -- response (pydantic at the edge; unknown fields ignored, FedEx adds them freely) ---------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _DateDetail(_Model):
    dayOfWeek: str | None = None
    dayFormat: str | None = None
    dayCxsFormat: str | None = None


class _TransitDays(_Model):
    minimumTransitTime: str | None = None
    maximumTransitTime: str | None = None


class _Commit(_Model):
    dateDetail: _DateDetail | None = None
    transitDays: _TransitDays | None = None
    label: str | None = None


class _Operational(_Model):
    deliveryDate: str | None = None
    commitDate: str | None = None
    transitTime: str | None = None


class _ShipmentRateDetail(_Model):
    currency: str | None = None


class _Rated(_Model):
    rateType: str | None = None
    totalNetCharge: Decimal | None = None
    totalNetFedExCharge: Decimal | None = None
    currency: str | None = None
    shipmentRateDetail: _ShipmentRateDetail | None = None


class _ReplyDetail(_Model):
    serviceType: str
    serviceName: str | None = None
    ratedShipmentDetails: list[_Rated] = []
    commit: _Commit | None = None
    operationalDetail: _Operational | None = None


class _Output(_Model):
    rateReplyDetails: list[_ReplyDetail] = []


class _RateResponse(_Model):
    transactionId: str | None = None
    output: _Output


@dataclass(frozen=True)
class ServiceQuote:
    service_type: str
    service_name: str | None
    amount: Decimal  # see module docstring for which charge this is
    currency: str
    rate_type: str
    net_charge: Decimal | None  # totalNetCharge (incl. FedEx-side taxes)
    list_amount: Decimal | None  # LIST totalNetFedExCharge when asked for
    transit_days: int | None
    max_transit_days: int | None
    delivery: datetime | None


def _pick(rated: list[_Rated], rate_type: str) -> _Rated | None:
    return next((r for r in rated if r.rateType == rate_type), None)


def _amount(rated: _Rated) -> Decimal | None:
    return rated.totalNetFedExCharge if rated.totalNetFedExCharge is not None else rated.totalNetCharge


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_rate_response(payload: Any) -> list[ServiceQuote]:
    """One :class:`ServiceQuote` per service with a usable price; malformed entries are skipped."""
    try:
        response = _RateResponse.model_validate(payload)
    except ValidationError as error:
        raise FedexTransient(f"FedEx rate reply did not parse: {error.error_count()} problem(s)") from None
    quotes = []
    for detail in response.output.rateReplyDetails:
        chosen = (
            _pick(detail.ratedShipmentDetails, "ACCOUNT")
            or _pick(detail.ratedShipmentDetails, "LIST")
            or (detail.ratedShipmentDetails[0] if detail.ratedShipmentDetails else None)
        )
        amount = _amount(chosen) if chosen else None
        if chosen is None or amount is None:
            continue
        listed = _pick(detail.ratedShipmentDetails, "LIST")
        commit = detail.commit or _Commit()
        operational = detail.operationalDetail or _Operational()
        dates = commit.dateDetail or _DateDetail()
        transit = commit.transitDays or _TransitDays()
        days = DAYS.get(
            (transit.minimumTransitTime or operational.transitTime or "").replace("_DAYS", "").replace("_DAY", "")
        )
        max_days = DAYS.get((transit.maximumTransitTime or "").replace("_DAYS", "").replace("_DAY", ""))
        currency = chosen.currency or (chosen.shipmentRateDetail.currency if chosen.shipmentRateDetail else None)
        quotes.append(
            ServiceQuote(
                service_type=detail.serviceType,
                service_name=detail.serviceName,
                amount=amount,
                currency=currency or "USD",
                rate_type=chosen.rateType or "",
                net_charge=chosen.totalNetCharge,
                list_amount=_amount(listed) if listed else None,
                transit_days=days,
                max_transit_days=max_days,
                delivery=_when(operational.deliveryDate or dates.dayFormat or dates.dayCxsFormat),
            )
        )
    return quotes


# -- client ----------------------------------------------------------------------------------------
@dataclass
class FedexRetry:
    attempts: int = 3
    base_delay: float = 0.1
    max_retry_after: float = 2.0  # longer waits than this cannot fit a checkout; fail over instead
    deadline: float = 6.0


@dataclass
class FedexStats(CallStats):
    token_requests: int = 0
    token_refreshes_on_401: int = 0


@dataclass
class _Token:
    value: str
    valid_until: float


def _errors(response: httpx.Response) -> tuple[tuple[str, ...], str, str | None]:
    try:
        body = response.json()
        errors = body.get("errors") or []
        codes = tuple(str(e.get("code")) for e in errors if isinstance(e, dict))
        message = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors if isinstance(e, dict))
        return codes, message or response.text[:200], body.get("transactionId")
    except (ValueError, AttributeError):
        return (), response.text[:200], None


class FedexClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        account_number: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: FedexRetry | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.account_number = account_number
        self._credentials = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self.retry = retry or FedexRetry()
        self.stats = FedexStats()
        self._clock, self._sleep = clock, sleep
        self._token: _Token | None = None
        self._lock = asyncio.Lock()
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), transport=transport, timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> FedexClient:
        settings.require("FEDEX_URL", "FEDEX_CLIENT_ID", "FEDEX_CLIENT_SECRET", "FEDEX_ACCOUNT_NUMBER")
        return cls(
            str(settings.FEDEX_URL),
            settings.FEDEX_CLIENT_ID,
            settings.FEDEX_CLIENT_SECRET.get_secret_value(),
            settings.FEDEX_ACCOUNT_NUMBER,
            **kwargs,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> FedexClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """Send with retries of 408/429/5xx and transport failures; return any other response."""
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            self.stats.requests += 1
            try:
                response = await self.http.send(request)  # bytes bodies can be sent again
            except TRANSPORT_ERRORS as error:
                self.stats.failures += 1
                if attempt >= self.retry.attempts or self._clock() - started > self.retry.deadline:
                    raise FedexTransient(f"{type(error).__name__} after {attempt} attempt(s)") from error
                delay = self.retry.base_delay * 2 ** (attempt - 1)
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    return response
                self.stats.failures += 1
                self.stats.throttled += response.status_code == 429
                codes, message, tx = _errors(response)
                wait = retry_after_seconds(response)
                delay = wait if wait is not None else self.retry.base_delay * 2 ** (attempt - 1)
                if (
                    attempt >= self.retry.attempts
                    or delay > self.retry.max_retry_after
                    or self._clock() - started + delay > self.retry.deadline
                ):
                    raise FedexTransient(
                        f"FedEx HTTP {response.status_code} after {attempt} attempt(s): {message}",
                        response.status_code,
                        codes,
                        tx,
                    )
            self.stats.retries += 1
            await self._sleep(delay)

    async def token(self) -> str:
        current = self._token
        if current and self._clock() < current.valid_until:
            return current.value
        async with self._lock:
            current = self._token  # another caller may have refreshed it while we waited
            if current and self._clock() < current.valid_until:
                return current.value
            self.stats.token_requests += 1
            response = await self._send(self.http.build_request("POST", TOKEN_PATH, data=self._credentials))
            if response.status_code != 200:
                codes, message, tx = _errors(response)
                kind = FedexAuthError if response.status_code in (401, 403) else FedexRejected
                raise kind(f"FedEx OAuth {response.status_code}: {message}", response.status_code, codes, tx)
            body = response.json()
            lifetime = float(body.get("expires_in") or 0)
            # Refresh a little early (10 % of the lifetime, at most a minute) so no call carries a dying token.
            margin = min(60.0, lifetime * 0.1)
            self._token = _Token(str(body["access_token"]), self._clock() + lifetime - margin)
            return self._token.value

    def _invalidate(self, value: str) -> None:
        if self._token is not None and self._token.value == value:
            self._token = None

    async def rate_raw(self, body: dict[str, Any], customer_transaction_id: str | None = None) -> Any:
        """POST a Rate API body; returns the parsed JSON (numbers as Decimal)."""
        content = json.dumps(body).encode()
        for refreshed in (False, True):
            token = await self.token()
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "X-locale": "en_US"}
            if customer_transaction_id:
                headers["x-customer-transaction-id"] = customer_transaction_id
            response = await self._send(self.http.build_request("POST", RATE_PATH, content=content, headers=headers))
            if response.status_code == 401 and not refreshed:
                self.stats.token_refreshes_on_401 += 1
                self._invalidate(token)
                continue
            codes, message, tx = _errors(response) if response.status_code >= 400 else ((), "", None)
            if response.status_code in (401, 403):
                raise FedexAuthError(f"FedEx Rate {response.status_code}: {message}", response.status_code, codes, tx)
            if response.status_code >= 400:
                raise FedexRejected(f"FedEx Rate {response.status_code}: {message}", response.status_code, codes, tx)
            try:
                return json.loads(response.content, parse_float=Decimal)
            except ValueError as error:
                raise FedexTransient("FedEx rate reply was not JSON", response.status_code) from error
        raise AssertionError("unreachable")

    async def rate(self, query: RateQuery, customer_transaction_id: str | None = None) -> list[ServiceQuote]:
        payload = await self.rate_raw(build_rate_request(query, self.account_number), customer_transaction_id)
        return parse_rate_response(payload)


__all__ = [
    "Address",
    "Commodity",
    "FedexAuthError",
    "FedexClient",
    "FedexError",
    "FedexRejected",
    "FedexRetry",
    "FedexTransient",
    "Parcel",
    "RateQuery",
    "ServiceQuote",
    "build_rate_request",
    "parse_rate_response",
]
