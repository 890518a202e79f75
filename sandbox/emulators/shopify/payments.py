"""Order transactions and Shopify Payments payouts in the Shopify emulator.

GraphQL (names from shopify.dev Admin GraphQL, objects ``OrderTransaction``, ``ShopifyPaymentsAccount``,
``ShopifyPaymentsPayout``, ``ShopifyPaymentsPayoutSummary``, ``ShopifyPaymentsBalanceTransaction``):

* ``Order.transactions(first:)`` -> ``[OrderTransaction!]!``. ``OrderTransaction`` and its base fields
  (``id kind status gateway amountSet createdAt processedAt``) are in ``schema.py``, shared with
  ``Refund.transactions``; this module adds ``formattedGateway test parentTransaction order``;
* ``shopifyPaymentsAccount { payouts(first:, after:) { nodes { id legacyResourceId issuedAt status
  transactionType net summary { chargesGross chargesFee refundsFeeGross refundsFee adjustmentsGross
  adjustmentsFee } } } balanceTransactions(first:, after:) { nodes { id type amount fee net
  transactionDate sourceOrderTransactionId associatedOrder { id } associatedPayout { id status } } } }``.

Operator routes add what a shop would produce: ``POST /_emulator/orders/{id}/transactions`` and
``POST /_emulator/payouts`` (a payout's net is the sum of its balance transactions' nets, as in Shopify).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from graphql import GraphQLResolveInfo
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.shopify import order_reads
from sandbox.emulators.shopify.orders import OrderError
from sandbox.emulators.shopify.resolvers import store_of
from sandbox.emulators.shopify.search import paginate
from sandbox.emulators.shopify.store import Store, gid, now_rest, to_utc
from sandbox.emulators.shopify.wire import json_response

KINDS = ("AUTHORIZATION", "CAPTURE", "CHANGE", "EMV_AUTHORIZATION", "REFUND", "SALE", "SUGGESTED_REFUND", "VOID")
STATUSES = ("AWAITING_RESPONSE", "ERROR", "FAILURE", "PENDING", "SUCCESS", "UNKNOWN")
BALANCE_TYPES = ("ADJUSTMENT", "CHARGE", "REFUND", "DISPUTE", "RESERVED_FUNDS", "TRANSFER", "SHOP_CASH_CREDIT")

SDL = """
extend type OrderTransaction {{ formattedGateway: String test: Boolean! order: Order }}
enum ShopifyPaymentsPayoutStatus {{ CANCELED FAILED IN_TRANSIT PAID SCHEDULED }}
enum ShopifyPaymentsPayoutTransactionType {{ DEPOSIT WITHDRAWAL }}
enum ShopifyPaymentsTransactionType {{ {balance_types} }}
type ShopifyPaymentsPayoutSummary {{
  adjustmentsFee: MoneyV2! adjustmentsGross: MoneyV2! chargesFee: MoneyV2! chargesGross: MoneyV2!
  refundsFee: MoneyV2! refundsFeeGross: MoneyV2!
}}
type ShopifyPaymentsPayout implements Node {{
  id: ID! legacyResourceId: UnsignedInt64! issuedAt: DateTime! net: MoneyV2! status: ShopifyPaymentsPayoutStatus!
  transactionType: ShopifyPaymentsPayoutTransactionType! summary: ShopifyPaymentsPayoutSummary!
}}
type ShopifyPaymentsPayoutEdge {{ cursor: String! node: ShopifyPaymentsPayout! }}
type ShopifyPaymentsPayoutConnection {{ edges: [ShopifyPaymentsPayoutEdge!]! nodes: [ShopifyPaymentsPayout!]!
  pageInfo: PageInfo! }}
type ShopifyPaymentsBalanceTransactionAssociatedPayout {{ id: ID status: ShopifyPaymentsPayoutStatus }}
type ShopifyPaymentsAssociatedOrder {{ id: ID! name: String! }}
type ShopifyPaymentsBalanceTransaction implements Node {{
  id: ID! type: ShopifyPaymentsTransactionType! amount: MoneyV2! fee: MoneyV2! net: MoneyV2!
  transactionDate: DateTime! test: Boolean! sourceOrderTransactionId: ID
  associatedOrder: ShopifyPaymentsAssociatedOrder associatedPayout: ShopifyPaymentsBalanceTransactionAssociatedPayout!
}}
type ShopifyPaymentsBalanceTransactionEdge {{ cursor: String! node: ShopifyPaymentsBalanceTransaction! }}
type ShopifyPaymentsBalanceTransactionConnection {{ edges: [ShopifyPaymentsBalanceTransactionEdge!]!
  nodes: [ShopifyPaymentsBalanceTransaction!]! pageInfo: PageInfo! }}
type ShopifyPaymentsAccount implements Node {{
  id: ID! activated: Boolean!
  payouts(first: Int, after: String, last: Int, before: String, reverse: Boolean = false,
    transactionType: ShopifyPaymentsPayoutTransactionType, query: String): ShopifyPaymentsPayoutConnection!
  balanceTransactions(first: Int, after: String, last: Int, before: String, reverse: Boolean = false,
    query: String, hideTransfers: Boolean = false): ShopifyPaymentsBalanceTransactionConnection!
}}
extend type QueryRoot {{ shopifyPaymentsAccount: ShopifyPaymentsAccount }}
""".format(balance_types=" ".join(BALANCE_TYPES))

Info = GraphQLResolveInfo
CENT = Decimal("0.01")


@dataclass
class BalanceTransaction:
    id: int
    type: str
    amount: Decimal
    fee: Decimal
    currency: str
    date: str
    payout_id: int
    order_id: int | None = None
    order_transaction_id: int | None = None

    @property
    def net(self) -> Decimal:
        return self.amount - self.fee


@dataclass
class Payout:
    id: int
    issued_at: str
    status: str
    currency: str
    transactions: list[BalanceTransaction] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return sum((t.net for t in self.transactions), Decimal(0))


@dataclass
class PaymentsState:
    # order id -> transactions, as dicts in the shape refund transactions have (the base schema's
    # OrderTransaction resolvers read id, kind, status, gateway, amount, currency, created_at, processed_at)
    transactions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    payouts: dict[int, Payout] = field(default_factory=dict)


_STATES: weakref.WeakKeyDictionary[Store, PaymentsState] = weakref.WeakKeyDictionary()


def state_of(store: Store) -> PaymentsState:
    if store not in _STATES:
        _STATES[store] = PaymentsState()
    return _STATES[store]


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": str(amount.quantize(CENT)), "currencyCode": currency}


def _bag(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"shopMoney": _money(amount, currency), "presentmentMoney": _money(amount, currency)}


def _sum(payout: Payout, kind: str, what: str) -> dict[str, Any]:
    rows = [t for t in payout.transactions if t.type == kind]
    total = sum((t.fee if what == "fee" else t.amount for t in rows), Decimal(0))
    return _money(total, payout.currency)


def _mapped(raw: dict[str, Any], order: dict[str, Any], info: Info) -> dict[str, Any]:
    """A stored (REST-shaped) transaction as the order-reads module resolves it, plus what this module adds."""
    currency = order.get("currency") or info.context.config.currency_code
    return {
        **order_reads.transaction(raw, currency),
        "test": bool(raw.get("test")),
        "order_id": order["id"],
        "parent_id": raw.get("parent_id"),
    }


def _order_transactions(order: dict[str, Any], info: Info) -> list[dict[str, Any]]:
    """The order's own transactions, those of its refunds (Shopify lists a refund's money movement on the
    order) and those added by the operator."""
    stored = [*(order.get("transactions") or []), *state_of(store_of(info)).transactions.get(order["id"], [])]
    known = {t.get("id") for t in stored}
    stored += [t for r in order.get("refunds") or [] for t in r.get("transactions") or [] if t.get("id") not in known]
    return [_mapped(raw, order, info) for raw in stored]


def _parent(transaction: dict[str, Any], info: Info) -> dict[str, Any] | None:
    parent_id = int(transaction.get("parent_id") or 0)
    raw = state_of(store_of(info)).by_id.get(parent_id)
    if raw is None:
        return transaction.get("parentTransaction")
    order = store_of(info).orders.get(int(transaction.get("order_id") or 0)) or {"id": transaction.get("order_id")}
    return _mapped(raw, order, info)


TYPES: dict[str, dict[str, Any]] = {
    "Order": {"transactions": lambda o, i, first=None, **_a: _order_transactions(o, i)[:first]},
    "OrderTransaction": {
        "formattedGateway": lambda t, _i: str(t.get("gateway") or "").replace("_", " ").title() or None,
        "test": lambda t, _i: bool(t.get("test")),
        "parentTransaction": lambda t, i: _parent(t, i),
        "order": lambda t, i: store_of(i).orders.get(int(t.get("order_id") or 0)),
    },
    "QueryRoot": {"shopifyPaymentsAccount": lambda _r, _i: {"id": "gid://shopify/ShopifyPaymentsAccount/1"}},
    "ShopifyPaymentsAccount": {
        "id": lambda a, _i: a["id"],
        "activated": lambda _a, _i: True,
        "payouts": lambda _a, i, **args: paginate(
            list(state_of(store_of(i)).payouts.values()), args, lambda p: (p.issued_at, p.id), bool(args.get("reverse"))
        ),
        "balanceTransactions": lambda _a, i, **args: paginate(
            [t for p in state_of(store_of(i)).payouts.values() for t in p.transactions],
            args,
            lambda t: (t.date, t.id),
            bool(args.get("reverse")),
        ),
    },
    "ShopifyPaymentsPayout": {
        "id": lambda p, _i: gid("ShopifyPaymentsPayout", p.id),
        "legacyResourceId": lambda p, _i: str(p.id),
        "issuedAt": lambda p, _i: to_utc(p.issued_at),
        "net": lambda p, _i: _money(p.net, p.currency),
        "status": lambda p, _i: p.status,
        "transactionType": lambda p, _i: "DEPOSIT" if p.net >= 0 else "WITHDRAWAL",
        "summary": lambda p, _i: p,
    },
    "ShopifyPaymentsPayoutSummary": {
        "adjustmentsFee": lambda p, _i: _sum(p, "ADJUSTMENT", "fee"),
        "adjustmentsGross": lambda p, _i: _sum(p, "ADJUSTMENT", "amount"),
        "chargesFee": lambda p, _i: _sum(p, "CHARGE", "fee"),
        "chargesGross": lambda p, _i: _sum(p, "CHARGE", "amount"),
        "refundsFee": lambda p, _i: _sum(p, "REFUND", "fee"),
        "refundsFeeGross": lambda p, _i: _sum(p, "REFUND", "amount"),
    },
    "ShopifyPaymentsBalanceTransaction": {
        "id": lambda t, _i: gid("ShopifyPaymentsBalanceTransaction", t.id),
        "type": lambda t, _i: t.type,
        "amount": lambda t, _i: _money(t.amount, t.currency),
        "fee": lambda t, _i: _money(t.fee, t.currency),
        "net": lambda t, _i: _money(t.net, t.currency),
        "transactionDate": lambda t, _i: to_utc(t.date),
        "test": lambda _t, _i: False,
        "sourceOrderTransactionId": lambda t, _i: (
            gid("OrderTransaction", t.order_transaction_id) if t.order_transaction_id else None
        ),
        "associatedOrder": lambda t, i: (
            {"id": gid("Order", t.order_id), "name": str(store_of(i).orders.get(t.order_id, {}).get("name", ""))}
            if t.order_id
            else None
        ),
        "associatedPayout": lambda t, i: {
            "id": gid("ShopifyPaymentsPayout", t.payout_id),
            "status": state_of(store_of(i)).payouts[t.payout_id].status,
        },
    },
}


def _decimal(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise OrderError(400, f"{name} must be a decimal amount") from None
    if amount != amount.quantize(CENT):
        raise OrderError(400, f"{name} has more than two decimals")
    return amount


def add_transaction(store: Store, order_id: int, body: dict[str, Any]) -> dict[str, Any]:
    order = store.orders.get(order_id)
    if order is None:
        raise OrderError(404, f"order {order_id} not found")
    kind, status = str(body.get("kind", "SALE")).upper(), str(body.get("status", "SUCCESS")).upper()
    if kind not in KINDS or status not in STATUSES:
        raise OrderError(422, f"unknown kind {kind!r} or status {status!r}")
    state = state_of(store)
    parent = body.get("parent_id")
    if parent is not None and int(parent) not in state.by_id:
        raise OrderError(422, f"parent transaction {parent} not found")
    processed = str(body.get("processed_at") or now_rest())
    tx: dict[str, Any] = {
        "id": store.next_id(),
        "order_id": order_id,
        "kind": kind,
        "status": status,
        "gateway": str(body.get("gateway", "shopify_payments")),
        "amount": str(_decimal(body.get("amount", order.get("total_price", "0")), "amount")),
        "currency": str(body.get("currency") or order.get("currency") or "USD"),
        "processed_at": processed,
        "created_at": processed,
        "parent_id": int(parent) if parent is not None else None,
        "test": bool(body.get("test", False)),
    }
    state.transactions.setdefault(order_id, []).append(tx)
    state.by_id[tx["id"]] = tx
    return tx


def add_payout(store: Store, body: dict[str, Any]) -> Payout:
    state = state_of(store)
    payout = Payout(
        id=store.next_id(),
        issued_at=str(body.get("issued_at") or now_rest()),
        status=str(body.get("status", "PAID")).upper(),
        currency=str(body.get("currency", "USD")),
    )
    for item in body.get("balance_transactions") or []:
        source = item.get("order_transaction_id")
        tx = state.by_id.get(int(source)) if source is not None else None
        payout.transactions.append(
            BalanceTransaction(
                id=store.next_id(),
                type=str(item.get("type", "CHARGE")).upper(),
                amount=_decimal(item.get("amount", tx["amount"] if tx else "0"), "amount"),
                fee=_decimal(item.get("fee", "0"), "fee"),
                currency=payout.currency,
                date=str(item.get("date") or payout.issued_at),
                payout_id=payout.id,
                order_id=tx["order_id"] if tx else item.get("order_id"),
                order_transaction_id=tx["id"] if tx else None,
            )
        )
    state.payouts[payout.id] = payout
    return payout


async def post_transactions(request: Request) -> Response:
    store = request.app.state.emulator.store
    try:
        body = await request.json()
        items = body if isinstance(body, list) else [body]
        created = [add_transaction(store, request.path_params["order_id"], dict(i)) for i in items]
    except OrderError as error:
        return json_response({"error": str(error)}, error.status)
    except (ValueError, TypeError) as error:
        return json_response({"error": f"bad body: {error}"}, 400)
    return json_response(
        {"transactions": [{"id": t["id"], "gid": gid("OrderTransaction", t["id"])} for t in created]}, 201
    )


async def post_payout(request: Request) -> Response:
    store = request.app.state.emulator.store
    try:
        payout = add_payout(store, dict(await request.json()))
    except OrderError as error:
        return json_response({"error": str(error)}, error.status)
    except (ValueError, TypeError) as error:
        return json_response({"error": f"bad body: {error}"}, 400)
    return json_response({"id": payout.id, "gid": gid("ShopifyPaymentsPayout", payout.id), "net": str(payout.net)}, 201)


ROUTES = [
    Route("/_emulator/orders/{order_id:int}/transactions", post_transactions, methods=["POST"]),
    Route("/_emulator/payouts", post_payout, methods=["POST"]),
]
