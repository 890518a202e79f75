"""Operator/admin API under /_emulator/ (JSON): what F&O users do in the UI, state for tests, the
request log. Every endpoint is documented in sandbox/emulators/d365/README.md."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import asdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.d365 import documents, number_sequences, payment_journals, seed
from sandbox.emulators.d365.config import ThrottleConfig
from sandbox.emulators.d365.entities import entity_sets
from sandbox.emulators.d365.product_writes import DIMENSIONS
from sandbox.emulators.d365.reads import project
from sandbox.emulators.d365.wire import ODataError, dumps, loads
from sandbox.emulators.d365.writes import create

if TYPE_CHECKING:
    from sandbox.emulators.d365.app import EmulatorState


class RequestLog:
    """Every /data request (and each operation inside a $batch) with its status, for tests and
    benchmarks that count F&O requests per order."""

    def __init__(self, limit: int = 100_000) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=limit)
        self.by_set: Counter[str] = Counter()
        self.by_method: Counter[str] = Counter()
        self.total = 0
        self.http_requests = 0

    def add(self, method: str, path: str, status: int, batch: bool = False) -> None:
        entity_set = path.split("(")[0].split("/")[0].split("?")[0]
        self.total += 1
        self.http_requests += 0 if batch else 1
        self.by_set[entity_set] += 1
        self.by_method[method] += 1
        self.entries.append(
            {"seq": self.total, "method": method, "path": path, "status": status, "set": entity_set, "batch": batch}
        )

    def clear(self) -> None:
        self.__init__(self.entries.maxlen or 100_000)  # type: ignore[misc]


def _json(payload: Any, status: int = 200) -> Response:
    return Response(dumps(payload), status_code=status, media_type="application/json")


def _error(status: int, message: str) -> Response:
    return _json({"error": message}, status)


async def _body(request: Request) -> Any:
    raw = await request.body()
    return loads(raw) if raw.strip() else {}


def routes(state: EmulatorState) -> list[Route]:
    env = lambda: state.env  # noqa: E731 - reset replaces the env; always read the current one

    def company_of(body: dict[str, Any], request: Request) -> str:
        return str(body.get("dataAreaId") or request.query_params.get("company") or state.config.data_company)

    async def get_state(request: Request) -> Response:
        name = request.query_params.get("set")
        company = request.query_params.get("company")
        if name:
            es = entity_sets().get(name)
            if es is None:
                return _error(404, f"unknown entity set {name!r}")
            rows = []
            for row in env().store.tables[es.table].values():
                if company and str(row.get("dataAreaId", "")).casefold() != company.casefold():
                    continue
                item = project(es, row, None)
                item.update({k: v for k, v in row.items() if k.startswith("_")})
                rows.append(item)
            return _json({"set": name, "count": len(rows), "value": rows})
        setup = env().store.setup

        def stored(table: str) -> list[dict[str, Any]]:
            # As stored: only the fields that were set (F&O defaults omitted) plus bookkeeping.
            return [
                row
                for row in env().store.tables[table].values()
                if not company or str(row.get("dataAreaId", "")).casefold() == company.casefold()
            ]

        return _json(
            {
                "counts": {n: len(env().store.tables[es.table]) for n, es in entity_sets().items()},
                "sets": {n: stored(es.table) for n, es in entity_sets().items()},
                "companies": sorted(setup.companies),
                "default_company": state.config.default_company,
                "warehouses": {f"{c}/{w}": s for (c, w), s in setup.warehouses.items()},
                "tax_rates": {f"{c}/{g}": r for (c, g), r in setup.tax_rates.items()},
                "item_tax_groups": {f"{c}/{g}": t for (c, g), t in setup.item_tax_groups.items()},
                "manual_numbers": setup.manual_numbers,
                "page_size": state.config.page_size,
                "sequences": {f"{c}/{s}": n for (c, s), n in env().store.sequences.items()},
            }
        )

    async def reset(request: Request) -> Response:
        state.reset()
        return _json({"reset": True})

    def _many(body: Any) -> list[dict[str, Any]]:
        return body if isinstance(body, list) else [body]

    async def add_items(request: Request) -> Response:
        out = []
        for item in _many(await _body(request)):
            company = company_of(item, request)
            fields = {
                k: v
                for k, v in item.items()
                if k
                not in (
                    "dataAreaId",
                    "ItemNumber",
                    "Name",
                    "SearchName",
                    "SalesPrice",
                    "ProductType",
                    "SalesSalesTaxItemGroupCode",
                    "OnHand",
                )
            }
            row = seed.add_item(
                env(),
                company,
                item["ItemNumber"],
                str(item.get("SearchName") or item.get("Name") or item["ItemNumber"]),
                Decimal(str(item.get("SalesPrice", 0))),
                str(item.get("ProductType", "Item")),
                str(item.get("SalesSalesTaxItemGroupCode", "ALL")),
                **fields,
            )
            if item.get("OnHand") is not None:
                documents.set_on_hand(
                    env(), company, row["ItemNumber"], "1", "11", OnHandQuantity=Decimal(str(item["OnHand"]))
                )
            out.append(project(entity_sets()["ReleasedProductsV2"], row, None))
        return _json({"value": out}, 201)

    async def add_rows(request: Request, set_name: str) -> Response:
        es = entity_sets()[set_name]
        out = []
        for item in _many(await _body(request)):
            if "dataAreaId" in es.fields and not item.get("dataAreaId"):
                item = {**item, "dataAreaId": company_of(item, request)}  # seeded in the data company
            try:
                row = create(env(), es, item)
            except ODataError as exc:
                return _json(exc.body(), 400)
            out.append(project(es, row, None))
        return _json({"value": out}, 201)

    async def add_customers(request: Request) -> Response:
        return await add_rows(request, "CustomersV3")

    async def add_delivery_modes(request: Request) -> Response:
        return await add_rows(request, "DeliveryModesV2")

    async def tax_groups(request: Request) -> Response:
        if request.method == "PUT":
            for item in _many(await _body(request)):
                seed.add_tax_group(
                    env(),
                    company_of(item, request),
                    item["TaxGroupCode"],
                    str(item.get("Description", item["TaxGroupCode"])),
                    Decimal(str(item["Rate"])),
                )
        return _json({"tax_rates": {f"{c}/{g}": r for (c, g), r in env().store.setup.tax_rates.items()}})

    async def item_tax_groups(request: Request) -> Response:
        for item in _many(await _body(request)):
            env().store.setup.item_tax_groups[(company_of(item, request).casefold(), item["Code"].casefold())] = bool(
                item.get("Taxable", True)
            )
        return _json({"item_tax_groups": {f"{c}/{g}": t for (c, g), t in env().store.setup.item_tax_groups.items()}})

    async def warehouses(request: Request) -> Response:
        for item in _many(await _body(request)):
            company = company_of(item, request).casefold()
            site = str(item["InventorySiteId"])
            env().store.setup.sites.setdefault((company, site.casefold()), site)
            env().store.setup.warehouses[(company, str(item["InventoryWarehouseId"]).casefold())] = site
        return _json({"warehouses": {f"{c}/{w}": s for (c, w), s in env().store.setup.warehouses.items()}})

    async def on_hand(request: Request) -> Response:
        es = entity_sets()["WarehousesOnHandV2"]
        out = []
        for item in _many(await _body(request)):
            company = company_of(item, request)
            warehouse = str(item.get("InventoryWarehouseId", "11"))
            site = str(
                item.get("InventorySiteId")
                or env().store.setup.warehouses.get((company.casefold(), warehouse.casefold()), "")
            )
            if env().item(company, item.get("ItemNumber", "")) is None:
                return _error(404, f"unknown item {item.get('ItemNumber')!r}")
            quantities = {k: Decimal(str(v)) for k, v in item.items() if k.endswith("Quantity")}
            dims = tuple(str(item.get(d) or "") for d in DIMENSIONS)  # a variant's stock: its product dimensions
            row = documents.set_on_hand(env(), company, item["ItemNumber"], site, warehouse, dims, **quantities)
            out.append(project(es, row, None))
        return _json({"value": out})

    async def order_action(request: Request) -> Response:
        number, action = request.path_params["number"], request.path_params["action"]
        body = await _body(request)
        company = company_of(body, request)
        try:
            if action == "invoice":
                doc = documents.invoice_sales_order(env(), company, number, body.get("lines"))
                return _json(project(entity_sets()["SalesInvoiceHeadersV2"], doc, None), 201)
            if action == "packing-slip":
                doc = documents.post_packing_slip(
                    env(),
                    company,
                    number,
                    body.get("lines"),
                    list(body.get("tracking_numbers", [])),
                    body.get("tracking_url", ""),
                )
                return _json(project(entity_sets()["CustPackingSlipJourBiEntities"], doc, None), 201)
            if action == "cancel":
                doc = documents.cancel_sales_order(env(), company, number)
                return _json(project(entity_sets()["SalesOrderHeadersV2"], doc, None))
        except documents.DocumentError as exc:
            return _error(409, str(exc))
        return _error(404, f"unknown action {action!r}")

    async def post_payment_journal(request: Request) -> Response:
        body = await _body(request)
        try:
            doc = payment_journals.post_journal(env(), company_of(body, request), request.path_params["batch"])
        except payment_journals.PostingError as exc:
            return _error(409, str(exc))
        return _json(project(entity_sets()["CustomerPaymentJournalHeaders"], doc, None))

    async def return_invoice(request: Request) -> Response:
        body = await _body(request)
        try:
            doc = documents.invoice_return_order(env(), company_of(body, request), request.path_params["number"])
        except documents.DocumentError as exc:
            return _error(409, str(exc))
        return _json(project(entity_sets()["SalesInvoiceHeadersV2"], doc, None), 201)

    async def settings(request: Request) -> Response:
        if request.method == "PUT":
            body = await _body(request)
            unknown = set(body) - {
                "manual_numbers",
                "page_size",
                "customer_account_sequence",
                "allow_negative_inventory",
                "default_company",
                "ignore_expand",
            }
            if unknown:
                return _error(400, f"unknown setting(s): {', '.join(sorted(unknown))}")
            if "manual_numbers" in body:
                env().store.setup.manual_numbers.update({k: bool(v) for k, v in body["manual_numbers"].items()})
                number_sequences.sync(env().store, env().store.setup.companies)
            names = ("page_size", "customer_account_sequence", "allow_negative_inventory", "default_company")
            for name in (*names, "ignore_expand"):
                if name in body:
                    value = int(body[name]) if name == "page_size" else body[name]
                    setattr(state.config, name, value)
        c = state.config
        return _json(
            {
                "manual_numbers": env().store.setup.manual_numbers,
                "page_size": c.page_size,
                "customer_account_sequence": c.customer_account_sequence,
                "allow_negative_inventory": c.allow_negative_inventory,
                "default_company": c.default_company,
                "ignore_expand": c.ignore_expand,
            }
        )

    async def throttling(request: Request) -> Response:
        if request.method == "PUT":
            body = await _body(request)
            try:
                values: dict[str, Any] = {
                    k: (
                        float(v)
                        if isinstance(v, Decimal) and k in ("window_s", "resource_rate")
                        else int(v)
                        if isinstance(v, Decimal)
                        else v
                    )
                    for k, v in body.items()
                }
                state.throttle.configure(ThrottleConfig(**values))
            except TypeError as exc:
                return _error(400, str(exc))
        return _json({"config": asdict(state.throttle.config), "throttled": state.throttle.throttled})

    async def requests_log(request: Request) -> Response:
        log = state.log
        if request.method == "DELETE":
            log.clear()
        limit = int(request.query_params.get("limit", "1000"))
        return _json(
            {
                "total": log.total,
                "http_requests": log.http_requests,
                "by_set": dict(log.by_set),
                "by_method": dict(log.by_method),
                "requests": list(log.entries)[-limit:] if limit else [],
            }
        )

    return [
        Route("/_emulator/state", get_state, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/items", add_items, methods=["POST"]),
        Route("/_emulator/customers", add_customers, methods=["POST"]),
        Route("/_emulator/delivery-modes", add_delivery_modes, methods=["POST"]),
        Route("/_emulator/tax-groups", tax_groups, methods=["GET", "PUT"]),
        Route("/_emulator/item-tax-groups", item_tax_groups, methods=["PUT"]),
        Route("/_emulator/warehouses", warehouses, methods=["PUT"]),
        Route("/_emulator/on-hand", on_hand, methods=["PUT"]),
        Route("/_emulator/sales-orders/{number}/{action}", order_action, methods=["POST"]),
        Route("/_emulator/return-orders/{number}/invoice", return_invoice, methods=["POST"]),
        Route("/_emulator/payment-journals/{batch}/post", post_payment_journal, methods=["POST"]),
        Route("/_emulator/settings", settings, methods=["GET", "PUT"]),
        Route("/_emulator/throttling", throttling, methods=["GET", "PUT"]),
        Route("/_emulator/requests", requests_log, methods=["GET", "DELETE"]),
    ]
