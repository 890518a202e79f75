"""``python -m integration.cli``: the operator's command line. Every command goes through the same
router as the ops API (``integration.bootstrap.ops_router()``), so both behave the same.

Settings come from the environment, or from a local.settings.json given with ``--settings``.
"""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from integration import bootstrap
from integration.ops.api import Request
from shared.principal import Principal

app = typer.Typer(help="Operate the Shopify ↔ F&O ↔ FedEx integration.", no_args_is_help=True)
console = Console()

WEBHOOK_TOPICS = [
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_PAID",
    "ORDERS_CANCELLED",
    "REFUNDS_CREATE",
    "CUSTOMERS_CREATE",
    "CUSTOMERS_UPDATE",
    "APP_UNINSTALLED",
]

WEBHOOK_SUBSCRIPTION_CREATE = """mutation webhookSubscriptionCreate($topic: WebhookSubscriptionTopic!,
  $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id } userErrors { field message } } }"""
CARRIER_SERVICE_CREATE = """mutation carrierServiceCreate($input: DeliveryCarrierServiceCreateInput!) {
  carrierServiceCreate(input: $input) { carrierService { id } userErrors { field message } } }"""


def subscription_input(base: str) -> dict[str, Any]:
    """``WebhookSubscriptionInput``: ``uri`` (``callbackUrl`` is deprecated)."""
    return {"uri": f"{base}/api/shopify/webhooks", "format": "JSON"}


def carrier_service_input(base: str) -> dict[str, Any]:
    return {
        "name": "FedEx (live rates)",
        "callbackUrl": f"{base}/api/shopify/carrier-rates",
        "supportsServiceDiscovery": True,
        "active": True,
    }


@app.callback()
def main(settings: Path | None = typer.Option(None, help="local.settings.json to read settings from")) -> None:
    if settings is not None:
        values = json.loads(settings.read_text()).get("Values", {})
        for key, value in values.items():
            os.environ.setdefault(key, str(value))
        bootstrap.reset()


def call(method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> Any:
    query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (params or {}).items() if v is not None}
    # The CLI works with the storage account's own credentials; its actions are audited under the OS user.
    principal = Principal(f"cli:{getpass.getuser()}", provider="cli")
    raw = json.dumps(body).encode() if body else b""
    status, result = bootstrap.ops_router().dispatch(bootstrap.storage(), Request(method, path, query, raw, principal))
    if status >= 400:
        console.print(f"[red]{status}[/] {result.get('error', result)}")
        raise typer.Exit(1)
    return result


def show(rows: list[dict[str, Any]], columns: list[str], title: str) -> None:
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(str(row.get(c, "")) for c in columns))
    console.print(table)


@app.command()
def status(day: str | None = typer.Option(None, help="YYYY-MM-DD, default today (UTC)")) -> None:
    """Dashboard: synced today, open exceptions by reason, queue and poison depths."""
    data = call("GET", "dashboard", {"day": day})
    console.print_json(json.dumps(data))


PAYMENT_COLUMNS = ["day", "transaction", "order", "gateway", "kind", "amount", "currency", "status", "journal"]
PAYMENT_COLUMNS += ["invoice", "reason"]
FREIGHT_COLUMNS = ["day", "order_id", "order_name", "sales_order", "service", "fedex_service", "tracking", "currency"]
FREIGHT_COLUMNS += ["quoted", "charged", "fo_order", "fo_invoiced", "actual", "drift", "flagged", "quote_match"]
FREIGHT_COLUMNS += ["actual_source"]


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([" ".join(v) if isinstance(v := row.get(c, ""), list) else v for c in columns])
    console.print(f"wrote {len(rows)} rows to {path}")


@app.command()
def payments(
    since: str | None = None, until: str | None = None, csv: Path | None = typer.Option(None, help="write the lines")
) -> None:
    """Payments report: per day and status (settled, settle-ready, open, blocked)."""
    data = call("GET", "money/payments", {"since": since, "until": until})
    show(data["per_day"], ["day", "settled", "settle_ready", "open", "blocked"], "Payments per day (amounts)")
    if csv is not None:
        write_csv(csv, data["rows"], PAYMENT_COLUMNS)
    else:
        show(data["rows"], PAYMENT_COLUMNS, "Payment lines")


@app.command()
def freight(
    since: str | None = None,
    until: str | None = None,
    top: int = 10,
    csv: Path | None = typer.Option(None, help="write every audited order"),
) -> None:
    """Freight audit: drift (FedEx billed - quoted) per day and per service, and the top drift orders."""
    data = call("GET", "money/freight", {"since": since, "until": until, "top": top})
    show(data["per_day"], ["day", "orders", "flagged", "drift"], "Freight drift per day")
    show(data["per_service"], ["service", "orders", "flagged", "drift"], "Freight drift per service")
    show(
        data["top"],
        ["order_name", "day", "service", "quoted", "charged", "fo_invoiced", "actual", "drift"],
        "Top drift",
    )
    if csv is not None:
        write_csv(csv, data["lines"], FREIGHT_COLUMNS)


@app.command()
def exceptions(entity: str | None = None, reason: str | None = None, status: str = "open", limit: int = 100) -> None:
    """List exceptions."""
    data = call("GET", "exceptions", {"entity": entity, "reason": reason, "status": status, "limit": limit})
    show(data["items"], ["entity", "entity_id", "reason_code", "message", "attempts", "last_seen"], "Exceptions")


@app.command()
def retry(
    entity: str | None = typer.Argument(None),
    entity_id: str | None = typer.Argument(None),
    reason: str | None = typer.Option(None, help="retry every open exception with this reason code"),
    dry_run: bool = False,
) -> None:
    """Retry one blocked document, or all with --reason (and --entity)."""
    if entity and entity_id:
        data = call("POST", f"exceptions/{entity}/{entity_id}/retry")
    else:
        data = call("POST", "exceptions/retry", {"entity": entity, "reason": reason, "dry_run": dry_run or None})
    console.print_json(json.dumps(data))


@app.command()
def resync(entity: str, entity_id: str) -> None:
    """Run a document through its flow again, by Shopify id (order, refund as <order id>/<refund id>)."""
    console.print(call("POST", f"resync/{entity}/{entity_id}")["result"])


@app.command()
def timeline(entity: str, entity_id: str) -> None:
    """A document's timeline."""
    data = call("GET", f"timeline/{entity}/{entity_id}")
    show(data["events"], ["at", "source", "step", "outcome", "target"], f"{entity} {entity_id}")
    if data.get("exception"):
        console.print(f"[yellow]exception[/]: {data['exception']['reason_code']} {data['exception']['message']}")


@app.command("replay-poison")
def replay_poison(queue: str, limit: int = 32, dry_run: bool = False) -> None:
    """Move messages from <queue>-poison back to <queue>."""
    console.print_json(
        json.dumps(call("POST", f"queues/{queue}/replay-poison", {"limit": limit, "dry_run": dry_run or None}))
    )


@app.command("reconcile")
def reconcile(
    since: str | None = typer.Option(None, help="ISO date/time, default 24 h ago"),
    until: str | None = typer.Option(None, help="ISO date/time, default now"),
    apply: bool = typer.Option(False, help="queue the orders never synced (default: a dry run)"),
) -> None:
    """Compare Shopify orders in a date range with F&O; --apply backfills the missing ones."""
    data = call("POST", "reconcile/orders", {"since": since, "until": until, "dry_run": not apply})
    console.print_json(json.dumps(data))


@app.command("crm-reconcile")
def crm_reconcile(
    since: str | None = typer.Option(None, help="ISO date/time, default the last applied run (or 24 h ago)"),
    until: str | None = typer.Option(None, help="ISO date/time, default now"),
    apply: bool = typer.Option(False, help="queue a CRM resync of each difference (default: a dry run)"),
    customers: bool = typer.Option(False, help="customers vs their contacts instead of orders vs sales orders"),
) -> None:
    """Compare Shopify orders (or --customers) in a date range with Dataverse; --apply resyncs the differences."""
    route = "crm/reconcile-customers" if customers else "crm/reconcile"
    data = call("POST", route, {"since": since, "until": until, "dry_run": not apply})
    console.print_json(json.dumps(data))


@app.command("crm-status")
def crm_status() -> None:
    """The CRM flow at a glance: on/off, open CRM exceptions by reason, reconciliation checkpoints."""
    console.print_json(json.dumps(call("GET", "crm/summary")))


@app.command("crm-confirm")
def crm_confirm(customer_id: str, contact_id: str) -> None:
    """Confirm that a Shopify customer is this Dataverse contact: the integration then owns and updates it."""
    console.print_json(json.dumps(call("POST", f"crm/contacts/{customer_id}/confirm", body={"contact_id": contact_id})))


@app.command("inventory-resync")
def inventory_resync(full: bool = typer.Option(True, help="compare every SKU, not only changes")) -> None:
    """Run the inventory push now."""
    with console.status("pushing inventory…"):
        data = call("POST", "inventory/resync", {"full": full})
    console.print_json(json.dumps(data, default=str))


@app.command("mapping")
def mapping(
    section: str | None = typer.Argument(None, help="shipping_methods, tax, skus, warehouses, policies"),
    key: str | None = typer.Argument(None),
    value: str | None = typer.Argument(None),
    delete: bool = typer.Option(False, help="remove the override"),
) -> None:
    """List mapping overrides, or set one: mapping skus ABC-1 D0001 (then retry the blocked orders)."""
    if section and key and delete:
        console.print_json(json.dumps(call("DELETE", f"mappings/{section}/{key}")))
    elif section and key and value is not None:
        parsed: Any = value
        if value.startswith("{"):
            parsed = json.loads(value)
        console.print_json(json.dumps(call("PUT", f"mappings/{section}/{key}", body={"value": parsed})))
    else:
        data = call("GET", "mappings", {"section": section})
        show(data["overrides"], ["section", "key", "value"], "Mapping overrides")


@app.command("register")
def register_in_shopify(
    app_url: str = typer.Option(..., help="the deployed app, e.g. https://my-app.azurewebsites.net"),
    carrier_service: bool = typer.Option(True, help="also register the FedEx carrier service"),
) -> None:
    """Register the webhook subscriptions (and the carrier service) in Shopify for the deployed app."""
    admin = bootstrap.shopify()
    base = app_url.rstrip("/")
    for topic in WEBHOOK_TOPICS:
        data = admin.graphql(
            WEBHOOK_SUBSCRIPTION_CREATE,
            {"topic": topic, "sub": {"uri": f"{base}/api/shopify/webhooks", "format": "JSON"}},
        )
        errors = data["webhookSubscriptionCreate"]["userErrors"]
        console.print(f"{topic}: " + ("[red]" + "; ".join(e["message"] for e in errors) + "[/]" if errors else "ok"))
    if carrier_service:
        data = admin.graphql(
            CARRIER_SERVICE_CREATE,
            {"input": carrier_service_input(base)},
        )
        errors = data["carrierServiceCreate"]["userErrors"]
        console.print(
            "carrier service: " + ("[red]" + "; ".join(e["message"] for e in errors) + "[/]" if errors else "ok")
        )
    console.print(
        "Compliance webhooks (customers/data_request, customers/redact, shop/redact) are set in the "
        f"app's configuration in the Partner Dashboard: {base}/api/shopify/webhooks"
    )


@app.command("doctor")
def doctor(
    app_url: str = typer.Option("", help="the deployed app: checks webhooks and the carrier service point at it"),
    systems: str = typer.Option("shopify,fedex,fo,dataverse", help="which systems to check"),
) -> None:
    """Go-live preflight against the configured systems (read-only): one line per check with the fix."""
    data = call("GET", "doctor", {"app_url": app_url or None, "systems": systems})
    table = Table("system", "check", "status", "detail", "fix", title="Preflight")
    colours = {"pass": "green", "FAIL": "red", "manual": "yellow"}
    for row in data["checks"]:
        status = f"[{colours[row['status']]}]{row['status']}[/]"
        table.add_row(row["system"], row["name"], status, row["detail"], row["fix"])
    console.print(table)
    console.print(f"{data['failed']} failed, {data['manual']} to check by hand")
    if not data["ok"]:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
