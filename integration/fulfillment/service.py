"""The fulfillment sync: one posted F&O packing slip -> Shopify fulfillment(s), and the poll.

Per packing slip (``sync_slip``, used by the timer and by the business-event endpoint):
1. Already done with the same tracking -> nothing. Done with different tracking ->
   ``fulfillmentTrackingInfoUpdate`` on each of its fulfillments.
2. Otherwise (under the slip's lease): load the slip, find the Shopify order through the order link,
   map lines to line items, plan against the open fulfillment orders (one fulfillment per location),
   write the plan, then ``fulfillmentCreate`` each planned fulfillment, recording each id at once.
3. A create whose answer was lost (ShopifyTransient) -> re-read the order's fulfillments and match
   by tracking number, location and quantities; only when nothing matches is it sent again.
Unknown order, unlinked line, over-shipment, Shopify refusing -> an exception with the numbers.
Transient F&O/Shopify failures propagate: the timer keeps its watermark, the endpoint answers 503.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from integration.cases import ExceptionStore
from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin, ShopifyTransient, ShopifyUserErrors
from integration.errors import is_transient
from integration.fulfillment import order_link
from integration.fulfillment.model import PackingSlip, PlannedFulfillment, SlipProblem, SlipRef
from integration.fulfillment.plan import match_existing, plan_fulfillments, shipped_line_items, tracking_input
from integration.fulfillment.records import DONE, EXCEPTION, PLANNED, FulfillmentRecords, SlipBusy, SlipRecord
from integration.fulfillment.shopify_side import ShopifyFulfillments
from integration.fulfillment.source import PackingSlipSource, Tracking
from shared.audit import AuditLog
from shared.lease import LeaseBusy, holding_order
from shared.logs import get_logger, log_event
from shared.settings import Settings
from shared.storage import Storage

ENTITY = "packing_slip"
CREATE_ATTEMPTS = 3  # sends of one fulfillmentCreate whose answers keep getting lost, per run

log = get_logger(__name__)


ORDER_BUSY = "order_busy"  # another delivery (order update, cancel, refund) holds the Shopify order


@dataclass
class FulfillmentConfig:
    notify_customer: bool = True
    require_tracking: bool = True
    tracking_company: str = "FedEx"
    tracking_url_template: str = "https://www.fedex.com/fedextrack/?trknbr={number}"
    overlap: timedelta = timedelta(minutes=30)
    lookback: timedelta = timedelta(days=7)
    ignored_items: tuple[str, ...] = ("FREIGHT",)

    @classmethod
    def from_settings(cls, settings: Settings) -> FulfillmentConfig:
        freight = str(getattr(settings, "D365_FREIGHT_ITEM", "") or "FREIGHT")
        return cls(
            settings.FULFILLMENT_NOTIFY_CUSTOMER,
            settings.FULFILLMENT_REQUIRE_TRACKING,
            settings.FULFILLMENT_TRACKING_COMPANY,
            settings.FULFILLMENT_TRACKING_URL_TEMPLATE,
            timedelta(minutes=settings.FULFILLMENT_OVERLAP_MINUTES),
            timedelta(days=settings.FULFILLMENT_LOOKBACK_DAYS),
            (freight,),
        )


@dataclass
class SlipOutcome:
    ref: SlipRef
    # created | tracking_updated | unchanged | waiting_for_tracking | exception | busy | order_busy | not_found
    outcome: str
    fulfillment_ids: list[str] = field(default_factory=list)
    reason_code: str = ""
    shopify_status: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sales_order": self.ref.sales_order,
            "packing_slip": self.ref.packing_slip,
            "outcome": self.outcome,
            "fulfillment_ids": self.fulfillment_ids,
            "reason_code": self.reason_code,
            "shopify_status": self.shopify_status,
        }


class FulfillmentSync:
    def __init__(
        self, storage: Storage, d365: D365Client, shopify: ShopifyAdmin, config: FulfillmentConfig | None = None
    ) -> None:
        self.config = config or FulfillmentConfig()
        self.storage = storage
        self.source = PackingSlipSource(d365)
        self.shopify = ShopifyFulfillments(shopify, self.config.notify_customer)
        self.records = FulfillmentRecords(storage)
        self.exceptions = ExceptionStore(storage)
        self.audit = AuditLog(storage)

    # -- the poll --------------------------------------------------------------------------------------
    def poll(self, now: datetime | None = None) -> dict[str, Any]:
        """Sync every packing slip posted since the watermark (minus the overlap) and every slip whose
        tracking F&O shows within the lookback; advance the watermark only when nothing failed
        transiently, so a failed slip is read again next run."""
        started = now or datetime.now(UTC)
        watermark = self.records.watermark()
        since = (watermark - self.config.overlap) if watermark else started - self.config.lookback
        refs = dict.fromkeys(self.source.posted_since(since))
        tracking = self.source.tracking_since(started - self.config.lookback)
        refs.update(dict.fromkeys(tracking))
        counts: dict[str, int] = {}
        failed = 0
        for ref in refs:
            try:
                outcome = self.sync_slip(ref, tracking.get(ref, ((), ())) if ref in tracking else None)
                counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
                if outcome.outcome == ORDER_BUSY:
                    failed += 1  # nobody else syncs this slip: the watermark waits for it
            except Exception as error:
                if not is_transient(error):  # permanent: an exception for a person, and the watermark moves on
                    counts["error"] = counts.get("error", 0) + 1
                    self.exceptions.open(
                        ENTITY,
                        ref.entity_id,
                        "sync_error",
                        f"{type(error).__name__}: {error}"[:1000],
                        {"sales_order": ref.sales_order, "packing_slip": ref.packing_slip},
                    )
                    continue
                failed += 1  # read again next run: the watermark waits for it
                log_event(
                    log,
                    "fulfillment.slip_failed",
                    sales_order=ref.sales_order,
                    packing_slip=ref.packing_slip,
                    error=type(error).__name__,
                    message=str(error)[:300],
                )
        if not failed:
            self.records.set_watermark(started)
        summary: dict[str, Any] = {
            "since": since.isoformat(),
            "slips": len(refs),
            "failed": failed,
            "watermark_advanced": not failed,
            **counts,
        }
        log_event(log, "fulfillment.poll", **summary)
        return summary

    # -- one packing slip ------------------------------------------------------------------------------
    def sync_slip(self, ref: SlipRef, tracking: Tracking | None = None) -> SlipOutcome:
        existing = self.records.get(ref)
        if existing is not None and existing.status == DONE:
            tracking = tracking if tracking is not None else self.source.tracking_of(ref)
            if tracking[0] == existing.tracking_numbers or not tracking[0]:
                return SlipOutcome(ref, "unchanged", existing.fulfillment_ids)
        try:
            record = self.records.claim(ref)
        except SlipBusy:
            return SlipOutcome(ref, "busy")
        started = time.monotonic()
        try:
            if record.status == DONE:
                outcome = self._update_tracking(record, tracking)
            else:
                outcome = self._fulfil(record, tracking)
        except SlipProblem as problem:
            outcome = self._problem(record, problem)
        finally:
            self.records.release(record)
        self.audit.record(
            ENTITY,
            ref.entity_id,
            "fulfillment_sync",
            outcome.outcome,
            target="shopify",
            duration_ms=(time.monotonic() - started) * 1000,
            details={
                "fulfillment_ids": outcome.fulfillment_ids,
                "reason_code": outcome.reason_code,
                "shopify_status": outcome.shopify_status,
            },
        )
        log_event(log, "fulfillment.slip", **outcome.as_dict())
        return outcome

    def _fulfil(self, record: SlipRecord, tracking: Tracking | None) -> SlipOutcome:
        ref = record.ref
        slip = self.source.load(ref, tracking)
        if slip is None:
            return SlipOutcome(ref, "not_found")
        if self.config.require_tracking and not slip.tracking_numbers:
            return SlipOutcome(ref, "waiting_for_tracking")
        link = order_link.find_by_sales_order(self.storage, ref.sales_order)
        if link is None:
            raise SlipProblem(
                "unknown_order",
                f"sales order {ref.sales_order} is not linked to a Shopify order (not created by order sync)",
                {"sales_order": ref.sales_order, "packing_slip": ref.packing_slip},
            )
        record.shopify_order_id = link.shopify_order_id
        shipped = shipped_line_items(slip, link.lot_to_line_item, self.config.ignored_items)
        try:
            # One writer per Shopify order: not while an order update, cancel or refund of it runs.
            with holding_order(self.storage, link.shopify_order_id):
                return self._fulfil_held(record, slip, shipped, link.shopify_order_id)
        except LeaseBusy:
            return SlipOutcome(ref, ORDER_BUSY)

    def _fulfil_held(
        self, record: SlipRecord, slip: PackingSlip, shipped: dict[str, int], shopify_order_id: str
    ) -> SlipOutcome:
        ref = record.ref
        link_order = shopify_order_id
        if not record.plan:  # a stored plan is kept: Shopify's open quantities change once it is applied
            state = self.shopify.order_state(link_order)
            if state is None:
                raise SlipProblem(
                    "unknown_order",
                    f"Shopify order {link_order} of sales order {ref.sales_order} does not exist",
                    {"shopify_order_id": link_order},
                )
            record.plan = plan_fulfillments(shipped, state.fulfillment_orders)
            record.status = PLANNED
            self.records.save(record)
        info = tracking_input(slip, self.config.tracking_company, self.config.tracking_url_template)
        claimed: set[str] | None = None
        for planned in record.plan:
            if planned.fulfillment_id:
                continue
            claimed = claimed if claimed is not None else self.records.fulfillment_ids_of_order(ref.sales_order)
            planned.fulfillment_id = self._create_once(record, planned, slip, info, claimed)
            claimed.add(planned.fulfillment_id)
            self.records.save(record)
        record.status, record.reason_code = DONE, ""
        record.tracking_numbers, record.tracking_urls = slip.tracking_numbers, slip.tracking_urls
        self.records.save(record)
        status = self._order_status(record)
        self.exceptions.resolve(ENTITY, ref.entity_id, "fulfilled in Shopify")
        return SlipOutcome(ref, "created", record.fulfillment_ids, shopify_status=status)

    def _create_once(
        self,
        record: SlipRecord,
        planned: PlannedFulfillment,
        slip: PackingSlip,
        info: dict[str, object] | None,
        claimed: set[str],
    ) -> str:
        """Create the planned fulfillment exactly once: look first (an earlier run's answer may have been
        lost), create, and after an unknown outcome look again before sending once more."""
        found = self._find_created(record, planned, slip, claimed)
        if found:
            return found
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return self.shopify.create(planned, info)
            except ShopifyUserErrors as error:
                raise SlipProblem(
                    "shopify_rejected",
                    f"Shopify refused the fulfillment: {error}",
                    {"user_errors": error.errors, "location_id": planned.location_id, "quantities": planned.quantities},
                ) from None
            except ShopifyTransient:
                log_event(
                    log,
                    "fulfillment.create_outcome_unknown",
                    sales_order=record.ref.sales_order,
                    packing_slip=record.ref.packing_slip,
                    attempt=attempt,
                )
                found = self._find_created(record, planned, slip, claimed)
                if found:
                    return found
                if attempt == CREATE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _find_created(
        self, record: SlipRecord, planned: PlannedFulfillment, slip: PackingSlip, claimed: set[str]
    ) -> str:
        fulfillments, _status = self.shopify.fulfillments(record.shopify_order_id)
        return match_existing(planned, slip.tracking_numbers, fulfillments, claimed)

    def _update_tracking(self, record: SlipRecord, tracking: Tracking | None) -> SlipOutcome:
        ref = record.ref
        numbers, urls = tracking if tracking is not None else self.source.tracking_of(ref)
        if not numbers or numbers == record.tracking_numbers:
            return SlipOutcome(ref, "unchanged", record.fulfillment_ids)
        slip = PackingSlip(ref, None, None, "", (), numbers, urls)
        info = tracking_input(slip, self.config.tracking_company, self.config.tracking_url_template)
        for fulfillment_id in record.fulfillment_ids:
            if info:
                self.shopify.update_tracking(fulfillment_id, info)
        record.tracking_numbers, record.tracking_urls = numbers, urls
        self.records.save(record)
        return SlipOutcome(ref, "tracking_updated", record.fulfillment_ids)

    def _order_status(self, record: SlipRecord) -> str:
        _fulfillments, status = self.shopify.fulfillments(record.shopify_order_id)
        self.records.set_order_status(
            record.shopify_order_id, record.ref.sales_order, status, record.ref.packing_slip, record.fulfillment_ids
        )
        return status

    def _problem(self, record: SlipRecord, problem: SlipProblem) -> SlipOutcome:
        values = {
            "sales_order": record.ref.sales_order,
            "packing_slip": record.ref.packing_slip,
            "shopify_order_id": record.shopify_order_id,
            **problem.values,
        }
        self.exceptions.open(ENTITY, record.ref.entity_id, problem.reason_code, str(problem), values)
        if not record.fulfillment_ids:
            # Nothing applied in Shopify: drop the plan so a retry (once the cause is fixed) plans afresh.
            # With part of the plan applied, keep it: a retry continues with the rest.
            record.plan, record.status = [], EXCEPTION
        record.reason_code = problem.reason_code
        self.records.save(record)
        return SlipOutcome(record.ref, "exception", record.fulfillment_ids, reason_code=problem.reason_code)
