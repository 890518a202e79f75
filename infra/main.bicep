// `azd up` entry point: one resource group with the Function App (Flex Consumption), its storage,
// a user-assigned managed identity, Key Vault, Log Analytics + Application Insights and, optionally,
// Azure Cache for Redis. Every app setting the code reads is set here or in app/function.bicep.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; used in the resource group name and the unique resource token.')
param environmentName string

@minLength(1)
@description('Region for every resource (must offer Flex Consumption).')
@metadata({ azd: { type: 'location' } })
param location string

param resourceGroupName string = ''

// ---- Shopify ----
@description('The shop, e.g. your-shop.myshopify.com (webhooks from another shop are refused).')
param shopifyShopDomain string
param shopifyApiVersion string = '2026-10'
@secure()
@description('Admin API access token (shpat_...).')
param shopifyAdminToken string
@secure()
@description('App client secret: the webhook and carrier-callback HMAC key.')
param shopifyApiSecret string
@secure()
@description('Previous client secret, only while a rotation is in progress (else empty).')
param shopifyApiSecretPrevious string = ''

// ---- Dynamics 365 F&O ----
@description('F&O environment URL, e.g. https://contoso.operations.dynamics.com')
param d365Url string
@description('F&O legal entity (dataAreaId), e.g. usmf')
param d365LegalEntity string
@description('Entra tenant of the F&O environment (default: this subscription\'s tenant).')
param d365TenantId string = ''
@description('Client id registered in F&O. Empty: the managed identity\'s client id (register that one in F&O).')
param d365ClientId string = ''
@secure()
@description('Client secret of the F&O app registration. Empty: the app uses its managed identity.')
param d365ClientSecret string = ''

// ---- Dynamics 365 Sales / Customer Service (Dataverse): optional CRM flow ----
@description('Dataverse environment URL, e.g. https://contoso.crm.dynamics.com. Empty: the CRM flow is off.')
param dataverseUrl string = ''
@description('Entra tenant of the Dataverse environment (default: this subscription\'s tenant).')
param dataverseTenantId string = ''
@description('Client id of the Dataverse application user. Empty: the managed identity\'s client id (add it as an application user).')
param dataverseClientId string = ''
@secure()
@description('Client secret of the Dataverse app registration. Empty: the app uses its managed identity.')
param dataverseClientSecret string = ''

// ---- FedEx ----
@description('FedEx API base URL (https://apis-sandbox.fedex.com for the sandbox).')
param fedexUrl string = 'https://apis.fedex.com'
param fedexClientId string
@secure()
param fedexClientSecret string
param fedexAccountNumber string

// ---- Operators (ops API and console) ----
@description('Client id of the Entra ID app registration operators sign in with (App Service Authentication on /api/ops/* and the console). docs/security.md shows how to create it.')
param opsAuthClientId string
@description('Object ids of the users or service principals allowed to use the ops API; empty = whoever the app registration admits.')
param opsAllowedPrincipalIds array = []

// ---- Personal data ----
@secure()
@description('Key of the keyed fingerprints (HMAC) of personal data in the audit log and exceptions. Keep it stable: a new key makes new fingerprints that no longer match old ones.')
param redactionKey string

// ---- Everything else ----
@description('App settings that override the defaults in flowSettings below, e.g. {"FULFILLMENT_SYNC_SCHEDULE": "0 */10 * * * *"}. Set changes here, not in the portal: a provision rewrites all app settings.')
param appSettingOverrides object = {}

// ---- Scale and options ----
@description('Deploy Azure Cache for Redis as the shared rate cache (REDIS_URL); otherwise each instance caches in memory.')
param enableRedis bool = false
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048
@description('Daily ingestion cap of the Log Analytics workspace in GB (-1 = none). Bounds the cost of a log storm or of hostile traffic.')
param logAnalyticsDailyQuotaGb int = 1

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var freightInvoiceContainerName = 'fedex-invoices'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'core/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    freightInvoiceContainerName: freightInvoiceContainerName
  }
}

module monitoring 'core/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    dailyQuotaGb: logAnalyticsDailyQuotaGb
  }
}

module keyVault 'core/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    // Vault names are 3-24 characters.
    name: take('${abbrs.keyVaultVaults}${resourceToken}', 24)
    location: location
    tags: tags
    shopifyAdminToken: shopifyAdminToken
    shopifyApiSecret: shopifyApiSecret
    shopifyApiSecretPrevious: shopifyApiSecretPrevious
    d365ClientSecret: d365ClientSecret
    dataverseClientSecret: dataverseClientSecret
    fedexClientSecret: fedexClientSecret
    redactionKey: redactionKey
  }
}

module diagnostics 'core/diagnostics.bicep' = {
  name: 'diagnostics'
  scope: rg
  params: {
    keyVaultName: keyVault.outputs.name
    storageAccountName: storage.outputs.name
    workspaceId: monitoring.outputs.logAnalyticsId
  }
}

module redis 'core/redis.bicep' = if (enableRedis) {
  name: 'redis'
  scope: rg
  params: {
    name: '${abbrs.cacheRedis}${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

// Connections and credentials (shared/settings.py). Host storage, identity and telemetry settings are
// added in app/function.bicep.
var connectionSettings = {
  SHOPIFY_SHOP_DOMAIN: shopifyShopDomain
  SHOPIFY_ADMIN_TOKEN: keyVault.outputs.shopifyAdminTokenRef
  SHOPIFY_API_SECRET: keyVault.outputs.shopifyApiSecretRef
  SHOPIFY_API_SECRET_PREVIOUS: keyVault.outputs.shopifyApiSecretPreviousRef
  SHOPIFY_API_VERSION: shopifyApiVersion
  D365_URL: d365Url
  D365_LEGAL_ENTITY: d365LegalEntity
  D365_TENANT_ID: !empty(d365TenantId) ? d365TenantId : tenant().tenantId
  D365_CLIENT_ID: !empty(d365ClientId) ? d365ClientId : identity.outputs.clientId
  D365_CLIENT_SECRET: keyVault.outputs.d365ClientSecretRef
  D365_TOKEN: '' // static bearer tokens are for the local emulator only
  DATAVERSE_URL: dataverseUrl
  DATAVERSE_TENANT_ID: !empty(dataverseTenantId) ? dataverseTenantId : tenant().tenantId
  DATAVERSE_CLIENT_ID: !empty(dataverseClientId) ? dataverseClientId : identity.outputs.clientId
  DATAVERSE_CLIENT_SECRET: keyVault.outputs.dataverseClientSecretRef
  DATAVERSE_TOKEN: '' // static bearer tokens are for the local emulator only
  FEDEX_URL: fedexUrl
  FEDEX_CLIENT_ID: fedexClientId
  FEDEX_CLIENT_SECRET: keyVault.outputs.fedexClientSecretRef
  FEDEX_ACCOUNT_NUMBER: fedexAccountNumber
  REDIS_URL: enableRedis ? redis.outputs.redisUrl : ''
  RATES_CONFIG_PATH: 'config/rates.json'
  REDACTION_KEY: keyVault.outputs.redactionKeyRef
}

// Behaviour of the flows, with the same defaults as shared/settings.py, and the timer schedules
// (%NAME% binding expressions; six-field NCRONTAB in UTC). Override with appSettingOverrides.
var flowSettings = {
  WEBHOOK_MAX_BODY_BYTES: '5242880'
  WEBHOOK_RETENTION_DAYS: '14'
  AUDIT_RETENTION_DAYS: '90'
  WEBHOOK_RETENTION_SCHEDULE: '0 15 3 * * *'
  RATE_QUOTES_RETENTION_DAYS: '30'
  // Shopify signs carrier callbacks; 'true' would make the endpoint an open FedEx proxy (docs/security.md).
  CARRIER_RATES_ALLOW_UNSIGNED: 'false'
  INVENTORY_CONFIG_PATH: 'config/inventory.json'
  D365_ORDER_NUMBER_PREFIX: 'SH'
  D365_CUSTOMER_PREFIX: 'SC'
  D365_FREIGHT_ITEM: 'FREIGHT'
  ORDER_RECONCILE_SCHEDULE: '0 */15 * * * *'
  ORDER_RECONCILE_LOOKBACK_MINUTES: '120'
  SHOPIFY_BULK_RANGE_HOURS: '24'
  FULFILLMENT_SYNC_SCHEDULE: '0 */5 * * * *'
  PAYMENTS_CONFIG_PATH: 'config/payments.json'
  PAYMENTS_SYNC_SCHEDULE: '0 0 * * * *'
  PAYMENTS_LOOKBACK_DAYS: '30'
  FREIGHT_DRIFT_TOLERANCE: '1.00'
  FREIGHT_DRIFT_TOLERANCE_PERCENT: '10'
  FREIGHT_INVOICE_CONTAINER: 'fedex-invoices' // = freightInvoiceContainerName (a literal: tests compare it with the code default)
  FREIGHT_INVOICE_SCHEDULE: '0 */15 * * * *'
  INVENTORY_SYNC_SCHEDULE: '0 */5 * * * *'
  CATALOG_CONFIG_PATH: 'config/catalog.json'
  CATALOG_SYNC_SCHEDULE: '0 */15 * * * *'
  FULFILLMENT_NOTIFY_CUSTOMER: 'true'
  FULFILLMENT_REQUIRE_TRACKING: 'true'
  FULFILLMENT_TRACKING_COMPANY: 'FedEx'
  FULFILLMENT_TRACKING_URL_TEMPLATE: 'https://www.fedex.com/fedextrack/?trknbr={number}'
  FULFILLMENT_OVERLAP_MINUTES: '30'
  FULFILLMENT_LOOKBACK_DAYS: '7'
  D365_RETURN_NUMBER_PREFIX: 'RF'
  D365_RETURN_DISPOSITION_RESTOCK: 'Credit'
  D365_RETURN_DISPOSITION_NO_RESTOCK: 'CreditOnly'
  D365_RETURN_REASON_CODE: ''
  D365_REFUND_MISC_ITEM: ''
  D365_REFUND_DUTY_ITEM: ''
  REFUND_UNINVOICED_ACTION: 'reduce_order'
  REFUND_WAIT_HORIZON_HOURS: '72'
  REFUND_RETRY_BASE_SECONDS: '60'
  REFUND_RETRY_MAX_SECONDS: '3600'
  CUSTOMER_SYNC_WRITE_MATCHED: 'false'
  DATAVERSE_COLUMN_PREFIX: 'shop_'
  DATAVERSE_CONFLICT_MODE: 'review'
  DATAVERSE_PRODUCT_MODE: 'writein'
  DATAVERSE_PRICE_LIST_ID: ''
  DATAVERSE_COUNTRY_FORMAT: 'name'
}

var appSettings = union(connectionSettings, flowSettings, appSettingOverrides)

module api 'app/function.bicep' = {
  name: 'api'
  scope: rg
  // Key Vault references and identity-based storage work only once the roles exist.
  dependsOn: [rbac]
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    appSettings: appSettings
    opsAuthClientId: opsAuthClientId
    opsAllowedPrincipalIds: opsAllowedPrincipalIds
  }
}

var baseUrl = 'https://${api.outputs.defaultHostName}'

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output FUNCTION_APP_URL string = baseUrl
output SHOPIFY_WEBHOOK_URL string = '${baseUrl}/api/shopify/webhooks'
output SHOPIFY_CARRIER_RATES_URL string = '${baseUrl}/api/shopify/carrier-rates'
output OPS_CONSOLE_URL string = '${baseUrl}/api/ops/console'
