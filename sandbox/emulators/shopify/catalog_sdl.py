"""Schema additions for products, ``productSet`` and price lists (names and types as in Shopify's
published Admin schema 2026-10, a subset of fields). Appended to every tier's SDL by schema.py."""

from __future__ import annotations

CATALOG_SDL = """
scalar Money
scalar HTML
enum ProductStatus { ACTIVE ARCHIVED DRAFT UNLISTED }
enum WeightUnit { GRAMS KILOGRAMS OUNCES POUNDS }
enum ProductOperationStatus { ACTIVE COMPLETE CREATED }
type Weight { unit: WeightUnit! value: Float! }
type InventoryItemMeasurement { id: ID! weight: Weight }
extend type InventoryItem { requiresShipping: Boolean! measurement: InventoryItemMeasurement! variant: ProductVariant! }
type ProductOptionValue { id: ID! name: String! hasVariants: Boolean! }
type ProductOption implements Node { id: ID! name: String! position: Int! values: [String!]!
  optionValues: [ProductOptionValue!]! }
type SelectedOption { name: String! value: String! }
type Product implements Node {
  id: ID! legacyResourceId: UnsignedInt64! title: String! handle: String! status: ProductStatus!
  descriptionHtml: HTML! tags: [String!]! vendor: String! productType: String! createdAt: DateTime! updatedAt: DateTime!
  options(first: Int): [ProductOption!]!
  variants(first: Int, after: String, last: Int, before: String, reverse: Boolean): ProductVariantConnection!
  metafield(namespace: String, key: String!): Metafield
}
type ProductEdge { cursor: String! node: Product! }
type ProductConnection { edges: [ProductEdge!]! nodes: [Product!]! pageInfo: PageInfo! }
type ProductVariant implements Node {
  id: ID! legacyResourceId: UnsignedInt64! title: String! sku: String price: Money! barcode: String position: Int!
  selectedOptions: [SelectedOption!]! inventoryItem: InventoryItem! product: Product!
  metafield(namespace: String, key: String!): Metafield
}
type ProductVariantEdge { cursor: String! node: ProductVariant! }
type ProductVariantConnection { edges: [ProductVariantEdge!]! nodes: [ProductVariant!]! pageInfo: PageInfo! }
enum ProductSetUserErrorCode {
  DUPLICATED_OPTION_NAME DUPLICATED_OPTION_VALUE GENERIC_ERROR HANDLE_NOT_UNIQUE INVALID_INPUT INVALID_VARIANT
  MISSING_FIELD_REQUIRED NOT_FOUND OPTIONS_OVER_LIMIT OPTION_DOES_NOT_EXIST OPTION_VALUES_MISSING
  OPTION_VALUE_DOES_NOT_EXIST PRODUCT_DOES_NOT_EXIST PRODUCT_OPTIONS_INPUT_MISSING VARIANTS_INPUT_MISSING
  VARIANTS_OVER_LIMIT DUPLICATED_METAFIELD_VALUE
}
type ProductSetUserError { code: ProductSetUserErrorCode field: [String!] message: String! }
type ProductSetOperation implements Node { id: ID! status: ProductOperationStatus! product: Product
  userErrors: [ProductSetUserError!]! }
type ProductSetPayload { product: Product productSetOperation: ProductSetOperation userErrors: [ProductSetUserError!]! }
input UniqueMetafieldValueInput { namespace: String key: String! value: String! }
input ProductSetIdentifiers { id: ID handle: String customId: UniqueMetafieldValueInput }
input ProductIdentifierInput { id: ID handle: String customId: UniqueMetafieldValueInput }
input OptionValueSetInput { id: ID name: String }
input OptionSetInput { id: ID name: String position: Int values: [OptionValueSetInput!] }
input VariantOptionValueInput { id: ID name: String optionId: ID optionName: String linkedMetafieldValue: String }
input WeightInput { unit: WeightUnit! value: Float! }
input InventoryItemMeasurementInput { weight: WeightInput shippingPackageId: ID }
input InventoryItemInput { sku: String tracked: Boolean requiresShipping: Boolean
  measurement: InventoryItemMeasurementInput cost: Decimal harmonizedSystemCode: String }
input ProductVariantSetInput { id: ID optionValues: [VariantOptionValueInput!]! price: Money compareAtPrice: Money
  sku: String barcode: String inventoryItem: InventoryItemInput metafields: [MetafieldInput!] position: Int
  taxable: Boolean }
input SEOInput { title: String description: String }
input ProductSetInput { id: ID title: String handle: String descriptionHtml: String status: ProductStatus
  vendor: String productType: String tags: [String!] seo: SEOInput productOptions: [OptionSetInput!]
  variants: [ProductVariantSetInput!] metafields: [MetafieldInput!] }

enum PriceListPriceOriginType { FIXED RELATIVE }
type PriceListPrice { variant: ProductVariant! price: MoneyV2! compareAtPrice: MoneyV2
  originType: PriceListPriceOriginType! }
type PriceListPriceEdge { cursor: String! node: PriceListPrice! }
type PriceListPriceConnection { edges: [PriceListPriceEdge!]! nodes: [PriceListPrice!]! pageInfo: PageInfo! }
type PriceList implements Node { id: ID! name: String! currency: CurrencyCode! fixedPricesCount: Int!
  prices(first: Int, after: String, last: Int, before: String, originType: PriceListPriceOriginType,
    query: String, reverse: Boolean): PriceListPriceConnection! }
input MoneyInput { amount: Decimal! currencyCode: CurrencyCode! }
input PriceListPriceInput { variantId: ID! price: MoneyInput! compareAtPrice: MoneyInput }
enum PriceListPriceUserErrorCode { BLANK PRICE_LIST_CURRENCY_MISMATCH PRICE_LIST_NOT_FOUND PRICE_NOT_FIXED
  VARIANT_NOT_FOUND }
type PriceListPriceUserError { code: PriceListPriceUserErrorCode field: [String!] message: String! }
type PriceListFixedPricesAddPayload { prices: [PriceListPrice!] userErrors: [PriceListPriceUserError!]! }
type PriceListFixedPricesUpdatePayload { deletedFixedPriceVariantIds: [ID!] priceList: PriceList
  pricesAdded: [PriceListPrice!] userErrors: [PriceListPriceUserError!]! }
type PriceListFixedPricesDeletePayload { deletedFixedPriceVariantIds: [ID!] userErrors: [PriceListPriceUserError!]! }

extend type QueryRoot {
  product(id: ID!): Product
  productByIdentifier(identifier: ProductIdentifierInput!): Product
  products(first: Int, after: String, last: Int, before: String, query: String, reverse: Boolean): ProductConnection!
  productVariant(id: ID!): ProductVariant
  priceList(id: ID!): PriceList
}
extend type Mutation {
  productSet(input: ProductSetInput!, identifier: ProductSetIdentifiers, synchronous: Boolean = true): ProductSetPayload
  priceListFixedPricesAdd(priceListId: ID!, prices: [PriceListPriceInput!]!): PriceListFixedPricesAddPayload
  priceListFixedPricesUpdate(priceListId: ID!, pricesToAdd: [PriceListPriceInput!]!,
    variantIdsToDelete: [ID!]!): PriceListFixedPricesUpdatePayload
  priceListFixedPricesDelete(priceListId: ID!, variantIds: [ID!]!): PriceListFixedPricesDeletePayload
}
"""

BULK_SDL = """
enum BulkOperationStatus { CANCELED CANCELING COMPLETED CREATED EXPIRED FAILED RUNNING }
enum BulkOperationType { MUTATION QUERY }
enum BulkOperationErrorCode { ACCESS_DENIED INTERNAL_SERVER_ERROR TIMEOUT }
type BulkOperation implements Node {
  id: ID! status: BulkOperationStatus! type: BulkOperationType! errorCode: BulkOperationErrorCode
  createdAt: DateTime! completedAt: DateTime objectCount: UnsignedInt64! rootObjectCount: UnsignedInt64!
  fileSize: UnsignedInt64 url: URL partialDataUrl: URL query: String!
}
enum BulkMutationErrorCode { INTERNAL_FILE_SERVER_ERROR INVALID_MUTATION INVALID_STAGED_UPLOAD_FILE LIMIT_REACHED
  NO_SUCH_FILE OPERATION_IN_PROGRESS }
type BulkMutationUserError { code: BulkMutationErrorCode field: [String!] message: String! }
type BulkOperationRunMutationPayload { bulkOperation: BulkOperation userErrors: [BulkMutationUserError!]! }
enum StagedUploadTargetGenerateUploadResource { BULK_MUTATION_VARIABLES COLLECTION_IMAGE FILE IMAGE PRODUCT_IMAGE
  SHOP_IMAGE URL_REDIRECT_IMPORT VIDEO }
enum StagedUploadHttpMethodType { POST PUT }
input StagedUploadInput { resource: StagedUploadTargetGenerateUploadResource! filename: String! mimeType: String!
  httpMethod: StagedUploadHttpMethodType fileSize: UnsignedInt64 }
type StagedUploadParameter { name: String! value: String! }
type StagedMediaUploadTarget { url: URL resourceUrl: URL parameters: [StagedUploadParameter!]! }
type StagedUploadsCreatePayload { stagedTargets: [StagedMediaUploadTarget!] userErrors: [UserError!]! }

extend type QueryRoot {
  currentBulkOperation(type: BulkOperationType = QUERY): BulkOperation
  bulkOperation(id: ID!): BulkOperation
}
extend type Mutation {
  stagedUploadsCreate(input: [StagedUploadInput!]!): StagedUploadsCreatePayload
  bulkOperationRunMutation(mutation: String!, stagedUploadPath: String!, clientIdentifier: String,
    groupObjects: Boolean): BulkOperationRunMutationPayload
}
"""
