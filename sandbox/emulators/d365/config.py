"""Start-up settings of the F&O emulator (every one has a working local default)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.emulators.faults import FaultConfig


@dataclass
class ThrottleConfig:
    """Service-protection style 429s (reference §3), separate from the generic fault middleware.

    ``max_requests`` per ``window_s`` (sliding, per bearer token) answers with the historic
    user-based message; ``max_concurrent`` with the concurrency message; ``resource_rate`` (a
    probability, seeded) with the resource-based message. 0 disables each one.
    """

    max_requests: int = 0
    window_s: float = 300.0
    max_concurrent: int = 0
    resource_rate: float = 0.0
    retry_after_s: int = 1
    seed: int | None = 0


@dataclass
class D365EmulatorConfig:
    # The integration user's default company. OData reads without cross-company=true see only its
    # rows, as in F&O. "dat" (F&O's system company, a new user's usual default) differs from the
    # app's D365_LEGAL_ENTITY on purpose: every test runs with the app naming its company itself.
    default_company: str = "dat"
    # The company the operator endpoints (/_emulator/...) seed into when a request names none.
    data_company: str = "usmf"
    page_size: int = 10_000  # server-driven paging (documented maximum 10,000)
    # Answer as a service that does not apply $expand (real F&O does): for testing clients' fallbacks.
    ignore_expand: bool = False
    max_batch_operations: int = 5_000
    static_token: str = "local-dev-token"  # always accepted (the app's D365_TOKEN locally)
    client_id: str = "local-client-id"
    client_secret: str = "local-client-secret"
    token_lifetime_s: int = 3599
    require_auth: bool = True
    # Manual numbers allowed for these sequences (a client-supplied key is accepted).
    manual_numbers: dict[str, bool] = field(
        default_factory=lambda: {
            "SalesOrderNumber": True,
            "ReturnOrderNumber": True,
            "InventoryLotId": True,
            "RMANumber": True,
            "CustomerAccount": True,
        }
    )
    # Standard CustomersV3 does not pull a number sequence: CustomerAccount is mandatory on POST.
    # True emulates the common X++ extension that numbers customers when the account is omitted.
    customer_account_sequence: bool = False
    # Posting a packing slip for more than the physical on-hand fails unless negative physical
    # inventory is allowed (F&O item model group setting).
    allow_negative_inventory: bool = False
    seed_demo_data: bool = True
    # The tenant's own journal posting service (custom_services.py); "" = not deployed.
    posting_service: str = "ShopifyIntegrationServices/CustomerPaymentJournalPostService/post"
    faults: FaultConfig | None = None
    throttle: ThrottleConfig = field(default_factory=ThrottleConfig)
