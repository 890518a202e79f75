"""The services the emulator rates, and its deterministic zone and transit rules.

Zone rule (documented in README): for two US ZIPs, zone = 2 + |first three digits of origin -
first three digits of destination| // 100, capped at 8 (same area = zone 2, coast to coast = 8).
Other domestic lanes use the distance between the first characters of the postal codes
(alphanumeric postcodes such as Canada's); cross-border lanes are zone 9.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

D = Decimal


@dataclass(frozen=True)
class Service:
    service_type: str
    name: str  # serviceName as FedEx sends it (with the ® sign)
    code: str  # operationalDetail.serviceCode / serviceDescription.code
    service_id: str
    astra: str  # astraDescription
    short: str
    ground: bool  # FDXG (FedEx Ground) vs FDXE (FedEx Express)
    minimum: Decimal  # base charge for the first lb in zone 2
    per_lb: Decimal  # each further lb in zone 2
    days: int | None  # fixed business days; None = by zone (ground)
    commit_time: str  # local time of the commit
    domestic: bool = True


SERVICES: tuple[Service, ...] = (
    Service(
        "PRIORITY_OVERNIGHT",
        "FedEx Priority Overnight®",
        "01",
        "EP1000000002",
        "P1",
        "PO",
        False,
        D("52.40"),
        D("4.85"),
        1,
        "10:30:00",
    ),
    Service(
        "STANDARD_OVERNIGHT",
        "FedEx Standard Overnight®",
        "05",
        "EP1000000003",
        "P2",
        "SO",
        False,
        D("46.10"),
        D("4.20"),
        1,
        "16:30:00",
    ),
    Service(
        "FEDEX_2_DAY", "FedEx 2Day®", "03", "EP1000000004", "E2", "E2", False, D("26.30"), D("2.65"), 2, "16:30:00"
    ),
    Service(
        "FEDEX_EXPRESS_SAVER",
        "FedEx Express Saver®",
        "20",
        "EP1000000013",
        "XS",
        "XS",
        False,
        D("22.45"),
        D("2.10"),
        3,
        "16:30:00",
    ),
    Service(
        "FEDEX_GROUND",
        "FedEx Ground®",
        "92",
        "EP1000000135",
        "FXG",
        "FG",
        True,
        D("10.40"),
        D("0.88"),
        None,
        "23:59:00",
    ),
    Service(
        "GROUND_HOME_DELIVERY",
        "FedEx Home Delivery®",
        "90",
        "EP1000000134",
        "FXG",
        "GD",
        True,
        D("10.40"),
        D("0.88"),
        None,
        "20:00:00",
    ),
    Service(
        "FEDEX_INTERNATIONAL_PRIORITY",
        "FedEx International Priority®",
        "01",
        "EP1000000001",
        "IP",
        "IP",
        False,
        D("78.20"),
        D("6.40"),
        3,
        "12:00:00",
        domestic=False,
    ),
    Service(
        "INTERNATIONAL_ECONOMY",
        "FedEx International Economy®",
        "03",
        "EP1000000005",
        "IE",
        "IE",
        False,
        D("61.75"),
        D("4.90"),
        5,
        "18:00:00",
        domestic=False,
    ),
)
BY_TYPE = {s.service_type: s for s in SERVICES}
CROSS_BORDER_ZONE = 9
NUMBER_WORDS = ("ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE", "TEN")
DAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def zone(origin_country: str, origin_postal: str, dest_country: str, dest_postal: str) -> int:
    if origin_country != dest_country:
        return CROSS_BORDER_ZONE
    o, d = origin_postal.strip().upper(), dest_postal.strip().upper()
    if o[:3].isdigit() and d[:3].isdigit():
        return min(8, 2 + abs(int(o[:3]) - int(d[:3])) // 100)
    return min(8, 2 + abs(ord(o[:1] or "A") - ord(d[:1] or "A")))


def available(origin_country: str, dest_country: str, residential: bool) -> list[Service]:
    """Services offered on a lane, in FedEx's traditional order.

    Ground goes to businesses and Home Delivery to homes (reference §2.8): a residential US
    recipient gets GROUND_HOME_DELIVERY instead of FEDEX_GROUND.
    """
    if origin_country != dest_country:
        return [s for s in SERVICES if not s.domestic]
    offered = []
    for s in SERVICES:
        if not s.domestic:
            continue
        if s.service_type == "GROUND_HOME_DELIVERY" and not (residential and dest_country == "US"):
            continue
        if s.service_type == "FEDEX_GROUND" and residential and dest_country == "US":
            continue
        offered.append(s)
    return offered


def transit_days(service: Service, zone_number: int) -> int:
    if service.days is not None:
        return service.days
    return max(1, min(5, zone_number - 1))  # ground: zone 2 → 1 day … zone 6+ → 5 days


def add_business_days(start: date, days: int) -> date:
    current = start
    while current.weekday() >= 5:  # a weekend ship date leaves on Monday
        current += timedelta(days=1)
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def transit_word(days: int) -> str:
    return f"{NUMBER_WORDS[days]}_DAY{'S' if days != 1 else ''}" if days < len(NUMBER_WORDS) else "UNKNOWN"


COMMIT_ORDER = frozenset({"COMMITASCENDING", "COMMITDESCENDING"})
