"""The subset of the Shopify Admin GraphQL schema the integration uses, per API version tier.

Names, arguments and enums follow shopify.dev. The inventory compare-and-swap fields and the
``@idempotent`` directive change with the version (reference/shopify.md §4.1, §4.5):

* ``<= 2025-10``: ``compareQuantity`` + ``ignoreCompareQuantity``; no ``@idempotent`` directive.
* ``2026-01``: adds ``changeFromQuantity`` (wins over compareQuantity) and an optional ``@idempotent``.
* ``>= 2026-04``: only ``changeFromQuantity`` (required at run time), ``@idempotent`` required at run time.
"""

from __future__ import annotations

from functools import cache

from graphql import GraphQLSchema, build_schema

from sandbox.emulators.shopify.catalog_sdl import BULK_SDL, CATALOG_SDL

TIER_LEGACY, TIER_2026_01, TIER_2026_04 = "legacy", "2026-01", "2026-04"

CURRENCIES = (
    "AED AUD BRL CAD CHF CLP CNY COP CZK DKK EUR GBP HKD HUF IDR ILS INR JPY KRW MXN MYR "
    "NOK NZD PHP PLN RON SAR SEK SGD THB TRY TWD USD VND ZAR XXX"
)

BASE_SDL = """
scalar DateTime
scalar URL
scalar Decimal
scalar UnsignedInt64

interface Node { id: ID! }
interface DisplayableError { field: [String!] message: String! }
type UserError implements DisplayableError { field: [String!] message: String! }
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }

enum CurrencyCode { %(currencies)s }
type MoneyV2 { amount: Decimal! currencyCode: CurrencyCode! }
type MoneyBag { shopMoney: MoneyV2! presentmentMoney: MoneyV2! }

type Shop implements Node {
  id: ID! name: String! email: String myshopifyDomain: String! currencyCode: CurrencyCode! ianaTimezone: String!
}

enum OrderDisplayFulfillmentStatus {
  FULFILLED IN_PROGRESS ON_HOLD OPEN PARTIALLY_FULFILLED PENDING_FULFILLMENT RESTOCKED SCHEDULED UNFULFILLED
  REQUEST_DECLINED
}
enum OrderDisplayFinancialStatus { AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED PENDING REFUNDED VOIDED }
enum OrderCancelReason { CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF }
enum OrderSortKeys { CREATED_AT ID ORDER_NUMBER PROCESSED_AT UPDATED_AT RELEVANCE }

type Order implements Node {
  id: ID! legacyResourceId: UnsignedInt64! name: String! email: String note: String tags: [String!]!
  createdAt: DateTime! updatedAt: DateTime! processedAt: DateTime! cancelledAt: DateTime
  cancelReason: OrderCancelReason closed: Boolean! closedAt: DateTime test: Boolean!
  displayFulfillmentStatus: OrderDisplayFulfillmentStatus! displayFinancialStatus: OrderDisplayFinancialStatus
  currencyCode: CurrencyCode! presentmentCurrencyCode: CurrencyCode!
  totalPriceSet: MoneyBag! subtotalPriceSet: MoneyBag totalTaxSet: MoneyBag totalShippingPriceSet: MoneyBag!
  currentTotalPriceSet: MoneyBag!
  metafield(namespace: String, key: String!): Metafield
  metafields(first: Int, after: String, last: Int, before: String, namespace: String,
    keys: [String!]): MetafieldConnection!
  lineItems(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): LineItemConnection!
  fulfillmentOrders(first: Int, after: String, last: Int, before: String, reverse: Boolean = false,
                    displayable: Boolean = false, query: String): FulfillmentOrderConnection!
  fulfillments(first: Int): [Fulfillment!]!
  refunds(first: Int): [Refund!]!
}
type OrderEdge { cursor: String! node: Order! }
type OrderConnection { edges: [OrderEdge!]! nodes: [Order!]! pageInfo: PageInfo! }

type LineItem implements Node {
  id: ID! name: String! title: String! sku: String variantTitle: String vendor: String
  quantity: Int! currentQuantity: Int! fulfillableQuantity: Int! unfulfilledQuantity: Int! refundableQuantity: Int!
  requiresShipping: Boolean! originalUnitPriceSet: MoneyBag!
}
type LineItemEdge { cursor: String! node: LineItem! }
type LineItemConnection { edges: [LineItemEdge!]! nodes: [LineItem!]! pageInfo: PageInfo! }

enum MetafieldOwnerType { ORDER CUSTOMER PRODUCT PRODUCTVARIANT SHOP LOCATION }
type Metafield implements Node {
  id: ID! namespace: String! key: String! value: String! type: String! ownerType: MetafieldOwnerType!
  compareDigest: String! createdAt: DateTime! updatedAt: DateTime!
}
type MetafieldEdge { cursor: String! node: Metafield! }
type MetafieldConnection { edges: [MetafieldEdge!]! nodes: [Metafield!]! pageInfo: PageInfo! }

enum FulfillmentOrderStatus { CANCELLED CLOSED INCOMPLETE IN_PROGRESS ON_HOLD OPEN SCHEDULED }
type FulfillmentOrderAssignedLocation { location: Location name: String! }
type FulfillmentOrder implements Node {
  id: ID! status: FulfillmentOrderStatus! createdAt: DateTime! updatedAt: DateTime! orderId: ID! orderName: String!
  order: Order! assignedLocation: FulfillmentOrderAssignedLocation!
  lineItems(first: Int, after: String, last: Int, before: String,
    reverse: Boolean = false): FulfillmentOrderLineItemConnection!
}
type FulfillmentOrderEdge { cursor: String! node: FulfillmentOrder! }
type FulfillmentOrderConnection { edges: [FulfillmentOrderEdge!]! nodes: [FulfillmentOrder!]! pageInfo: PageInfo! }
type FulfillmentOrderLineItem implements Node {
  id: ID! lineItem: LineItem! sku: String productTitle: String! totalQuantity: Int! remainingQuantity: Int!
  inventoryItemId: ID
}
type FulfillmentOrderLineItemEdge { cursor: String! node: FulfillmentOrderLineItem! }
type FulfillmentOrderLineItemConnection {
  edges: [FulfillmentOrderLineItemEdge!]! nodes: [FulfillmentOrderLineItem!]! pageInfo: PageInfo!
}

enum FulfillmentStatus { CANCELLED ERROR FAILURE OPEN PENDING SUCCESS }
type FulfillmentTrackingInfo { company: String number: String url: URL }
type Fulfillment implements Node {
  id: ID! legacyResourceId: UnsignedInt64! name: String! status: FulfillmentStatus! createdAt: DateTime!
  updatedAt: DateTime! totalQuantity: Int! order: Order! location: Location
  trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
  fulfillmentLineItems(first: Int, after: String, last: Int, before: String): FulfillmentLineItemConnection!
}
type FulfillmentLineItem implements Node { id: ID! quantity: Int lineItem: LineItem! }
type FulfillmentLineItemEdge { cursor: String! node: FulfillmentLineItem! }
type FulfillmentLineItemConnection { edges: [FulfillmentLineItemEdge!]! nodes: [FulfillmentLineItem!]!
  pageInfo: PageInfo! }

type Refund implements Node { id: ID! legacyResourceId: UnsignedInt64! createdAt: DateTime note: String
  totalRefundedSet: MoneyBag! }

type Location implements Node {
  id: ID! legacyResourceId: UnsignedInt64! name: String! isActive: Boolean! fulfillsOnlineOrders: Boolean!
  inventoryLevel(inventoryItemId: ID!): InventoryLevel
  inventoryLevels(first: Int, after: String, last: Int, before: String): InventoryLevelConnection!
}
type LocationEdge { cursor: String! node: Location! }
type LocationConnection { edges: [LocationEdge!]! nodes: [Location!]! pageInfo: PageInfo! }

type InventoryItem implements Node {
  id: ID! legacyResourceId: UnsignedInt64! sku: String tracked: Boolean! createdAt: DateTime! updatedAt: DateTime!
  inventoryLevel(locationId: ID!): InventoryLevel
  inventoryLevels(first: Int, after: String, last: Int, before: String): InventoryLevelConnection!
}
type InventoryItemEdge { cursor: String! node: InventoryItem! }
type InventoryItemConnection { edges: [InventoryItemEdge!]! nodes: [InventoryItem!]! pageInfo: PageInfo! }
type InventoryQuantity implements Node { id: ID! name: String! quantity: Int! updatedAt: DateTime }
type InventoryLevel implements Node {
  id: ID! item: InventoryItem! location: Location! canDeactivate: Boolean! createdAt: DateTime! updatedAt: DateTime!
  quantities(names: [String!]!): [InventoryQuantity!]!
}
type InventoryLevelEdge { cursor: String! node: InventoryLevel! }
type InventoryLevelConnection { edges: [InventoryLevelEdge!]! nodes: [InventoryLevel!]! pageInfo: PageInfo! }
type InventoryChange {
  name: String! delta: Int! quantityAfterChange: Int item: InventoryItem location: Location ledgerDocumentUri: String
}
type InventoryAdjustmentGroup implements Node {
  id: ID! createdAt: DateTime! reason: String! referenceDocumentUri: String
  changes(inventoryItemIds: [ID!], locationIds: [ID!], quantityNames: [String!]): [InventoryChange!]!
}

type DeliveryCarrierService implements Node {
  id: ID! name: String formattedName: String callbackUrl: URL active: Boolean! supportsServiceDiscovery: Boolean!
}
type DeliveryCarrierServiceEdge { cursor: String! node: DeliveryCarrierService! }
type DeliveryCarrierServiceConnection {
  edges: [DeliveryCarrierServiceEdge!]! nodes: [DeliveryCarrierService!]! pageInfo: PageInfo!
}

enum WebhookSubscriptionTopic {
  ORDERS_CREATE ORDERS_UPDATED ORDERS_PAID ORDERS_CANCELLED ORDERS_FULFILLED ORDERS_PARTIALLY_FULFILLED ORDERS_EDITED
  REFUNDS_CREATE FULFILLMENTS_CREATE FULFILLMENTS_UPDATE CUSTOMERS_CREATE CUSTOMERS_UPDATE APP_UNINSTALLED
  ORDER_TRANSACTIONS_CREATE
}
enum WebhookSubscriptionFormat { JSON XML }
type ApiVersion { handle: String! displayName: String! supported: Boolean! }
type WebhookSubscription implements Node {
  id: ID! topic: WebhookSubscriptionTopic! uri: String! callbackUrl: URL format: WebhookSubscriptionFormat!
  includeFields: [String!]! filter: String apiVersion: ApiVersion! createdAt: DateTime! updatedAt: DateTime!
}
type WebhookSubscriptionEdge { cursor: String! node: WebhookSubscription! }
type WebhookSubscriptionConnection { edges: [WebhookSubscriptionEdge!]! nodes: [WebhookSubscription!]!
  pageInfo: PageInfo! }

type QueryRoot {
  shop: Shop!
  order(id: ID!): Order
  orders(first: Int, after: String, last: Int, before: String, query: String, reverse: Boolean = false,
         sortKey: OrderSortKeys = ID): OrderConnection!
  fulfillmentOrder(id: ID!): FulfillmentOrder
  inventoryItem(id: ID!): InventoryItem
  inventoryItems(first: Int, after: String, last: Int, before: String, query: String,
    reverse: Boolean = false): InventoryItemConnection!
  inventoryLevel(id: ID!): InventoryLevel
  location(id: ID): Location
  locations(first: Int, after: String, last: Int, before: String, query: String,
    includeInactive: Boolean = false): LocationConnection!
  carrierServices(first: Int, after: String, last: Int, before: String): DeliveryCarrierServiceConnection!
  webhookSubscriptions(first: Int, after: String, last: Int, before: String,
    topics: [WebhookSubscriptionTopic!]): WebhookSubscriptionConnection!
}

input MetafieldInput { id: ID namespace: String key: String value: String type: String }
input OrderInput { id: ID! tags: [String!] note: String email: String metafields: [MetafieldInput!] poNumber: String }
input MetafieldsSetInput { ownerId: ID! namespace: String key: String! value: String! type: String
  compareDigest: String }
input FulfillmentOrderLineItemInput { id: ID! quantity: Int! }
input FulfillmentOrderLineItemsInput { fulfillmentOrderId: ID!
  fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!] }
input FulfillmentTrackingInput { company: String number: String numbers: [String!] url: URL urls: [URL!] }
input FulfillmentOriginAddressInput { address1: String address2: String city: String zip: String
  provinceCode: String countryCode: String! }
input FulfillmentInput {
  lineItemsByFulfillmentOrder: [FulfillmentOrderLineItemsInput!]! trackingInfo: FulfillmentTrackingInput
  notifyCustomer: Boolean = false originAddress: FulfillmentOriginAddressInput
}
input DeliveryCarrierServiceCreateInput { name: String! callbackUrl: URL! supportsServiceDiscovery: Boolean!
  active: Boolean! }
input WebhookSubscriptionInput {
  callbackUrl: URL uri: String format: WebhookSubscriptionFormat = JSON includeFields: [String!] filter: String
}
%(inventory_inputs)s

type OrderUpdatePayload { order: Order userErrors: [UserError!]! }
type TagsAddPayload { node: Node userErrors: [UserError!]! }
type TagsRemovePayload { node: Node userErrors: [UserError!]! }
enum MetafieldsSetUserErrorCode {
  APP_NOT_AUTHORIZED BLANK INCLUSION INVALID INVALID_TYPE INVALID_VALUE LESS_THAN_OR_EQUAL_TO PRESENT
  STALE_OBJECT TOO_LONG
}
type MetafieldsSetUserError implements DisplayableError {
  code: MetafieldsSetUserErrorCode elementIndex: Int field: [String!] message: String!
}
type MetafieldsSetPayload { metafields: [Metafield!] userErrors: [MetafieldsSetUserError!]! }
enum InventorySetQuantitiesUserErrorCode {
  CHANGE_FROM_QUANTITY_STALE COMPARE_QUANTITY_REQUIRED COMPARE_QUANTITY_STALE IDEMPOTENCY_CONCURRENT_REQUEST
  IDEMPOTENCY_KEY_PARAMETER_MISMATCH INVALID_INVENTORY_ITEM INVALID_LOCATION INVALID_NAME INVALID_QUANTITY_NEGATIVE
  INVALID_QUANTITY_TOO_HIGH INVALID_QUANTITY_TOO_LOW INVALID_REASON INVALID_REFERENCE_DOCUMENT
  ITEM_NOT_STOCKED_AT_LOCATION NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR NON_MUTABLE_INVENTORY_ITEM
}
type InventorySetQuantitiesUserError implements DisplayableError {
  code: InventorySetQuantitiesUserErrorCode field: [String!] message: String!
}
type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup userErrors: [InventorySetQuantitiesUserError!]!
}
enum InventoryAdjustQuantitiesUserErrorCode {
  ADJUST_QUANTITIES_FAILED CHANGE_FROM_QUANTITY_STALE IDEMPOTENCY_CONCURRENT_REQUEST IDEMPOTENCY_KEY_PARAMETER_MISMATCH
  INVALID_INVENTORY_ITEM INVALID_LOCATION INVALID_QUANTITY_NAME INVALID_QUANTITY_TOO_HIGH INVALID_QUANTITY_TOO_LOW
  INVALID_REASON INVALID_REFERENCE_DOCUMENT ITEM_NOT_STOCKED_AT_LOCATION NON_MUTABLE_INVENTORY_ITEM
}
type InventoryAdjustQuantitiesUserError implements DisplayableError {
  code: InventoryAdjustQuantitiesUserErrorCode field: [String!] message: String!
}
type InventoryAdjustQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup userErrors: [InventoryAdjustQuantitiesUserError!]!
}
type FulfillmentCreatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }
type FulfillmentTrackingInfoUpdatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }
enum CarrierServiceCreateUserErrorCode { CARRIER_SERVICE_CREATE_FAILED }
type CarrierServiceCreateUserError { code: CarrierServiceCreateUserErrorCode field: [String!] message: String! }
type CarrierServiceCreatePayload { carrierService: DeliveryCarrierService
  userErrors: [CarrierServiceCreateUserError!]! }
type WebhookSubscriptionCreatePayload { webhookSubscription: WebhookSubscription userErrors: [UserError!]! }
type WebhookSubscriptionDeletePayload { deletedWebhookSubscriptionId: ID userErrors: [UserError!]! }

type Mutation {
  orderUpdate(input: OrderInput!): OrderUpdatePayload
  tagsAdd(id: ID!, tags: [String!]!): TagsAddPayload
  tagsRemove(id: ID!, tags: [String!]!): TagsRemovePayload
  metafieldsSet(metafields: [MetafieldsSetInput!]!): MetafieldsSetPayload
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
  inventoryAdjustQuantities(input: InventoryAdjustQuantitiesInput!): InventoryAdjustQuantitiesPayload
  fulfillmentCreate(fulfillment: FulfillmentInput!, message: String): FulfillmentCreatePayload
  fulfillmentTrackingInfoUpdate(fulfillmentId: ID!, trackingInfoInput: FulfillmentTrackingInput!,
                                notifyCustomer: Boolean): FulfillmentTrackingInfoUpdatePayload
  carrierServiceCreate(input: DeliveryCarrierServiceCreateInput!): CarrierServiceCreatePayload
  webhookSubscriptionCreate(topic: WebhookSubscriptionTopic!,
    webhookSubscription: WebhookSubscriptionInput!): WebhookSubscriptionCreatePayload
  webhookSubscriptionDelete(id: ID!): WebhookSubscriptionDeletePayload
}

schema { query: QueryRoot mutation: Mutation }
"""

INVENTORY_INPUTS = {
    TIER_LEGACY: """
input InventoryQuantityInput { inventoryItemId: ID! locationId: ID! quantity: Int! compareQuantity: Int }
input InventorySetQuantitiesInput {
  name: String! reason: String! referenceDocumentUri: String quantities: [InventoryQuantityInput!]!
  ignoreCompareQuantity: Boolean = false
}
input InventoryChangeInput { delta: Int! inventoryItemId: ID! locationId: ID! ledgerDocumentUri: String }
input InventoryAdjustQuantitiesInput { name: String! reason: String! referenceDocumentUri: String
  changes: [InventoryChangeInput!]! }
""",
    TIER_2026_01: """
directive @idempotent(key: String!) on FIELD
input InventoryQuantityInput {
  inventoryItemId: ID! locationId: ID! quantity: Int! compareQuantity: Int @deprecated changeFromQuantity: Int
}
input InventorySetQuantitiesInput {
  name: String! reason: String! referenceDocumentUri: String quantities: [InventoryQuantityInput!]!
  ignoreCompareQuantity: Boolean = false @deprecated
}
input InventoryChangeInput {
  delta: Int! inventoryItemId: ID! locationId: ID! ledgerDocumentUri: String changeFromQuantity: Int
}
input InventoryAdjustQuantitiesInput { name: String! reason: String! referenceDocumentUri: String
  changes: [InventoryChangeInput!]! }
""",
    TIER_2026_04: """
directive @idempotent(key: String!) on FIELD
input InventoryQuantityInput { inventoryItemId: ID! locationId: ID! quantity: Int! changeFromQuantity: Int }
input InventorySetQuantitiesInput {
  name: String! reason: String! referenceDocumentUri: String quantities: [InventoryQuantityInput!]!
}
input InventoryChangeInput {
  delta: Int! inventoryItemId: ID! locationId: ID! ledgerDocumentUri: String changeFromQuantity: Int
}
input InventoryAdjustQuantitiesInput { name: String! reason: String! referenceDocumentUri: String
  changes: [InventoryChangeInput!]! }
""",
}


def tier_for(version: str) -> str:
    """The schema tier for an API version handle ("unstable" behaves like the newest)."""
    if version == "unstable" or version >= "2026-04":
        return TIER_2026_04
    if version >= "2026-01":
        return TIER_2026_01
    return TIER_LEGACY


@cache
def schema_for_tier(tier: str) -> GraphQLSchema:
    # These modules import the resolvers, which import this module: imported here, not at the top.
    from sandbox.emulators.shopify import bulk_query, customers, installation, order_reads, product_extras
    from sandbox.emulators.shopify.payments import SDL as PAYMENTS_SDL

    sdl = BASE_SDL % {"currencies": CURRENCIES, "inventory_inputs": INVENTORY_INPUTS[tier]}
    return build_schema(
        sdl
        + order_reads.sdl()
        + customers.SDL
        + installation.SDL
        + PAYMENTS_SDL
        + CATALOG_SDL
        + BULK_SDL
        + bulk_query.SDL
        + product_extras.SDL
    )
