// Key Vault (RBAC mode, soft delete + purge protection) holding the integration's secrets. App settings
// reference them as @Microsoft.KeyVault(SecretUri=...) without a version, so a new secret version is
// picked up by the platform (within 24 h, or at once on restart) without redeploying.
param name string
param location string
param tags object = {}

@secure()
param shopifyAdminToken string
@secure()
param shopifyApiSecret string
@secure()
@description('Empty unless a Shopify client-secret rotation is in progress.')
param shopifyApiSecretPrevious string = ''
@secure()
@description('Empty: the app authenticates to F&O with its managed identity instead.')
param d365ClientSecret string = ''
@secure()
@description('Empty: the app authenticates to Dataverse with its managed identity (or the CRM flow is off).')
param dataverseClientSecret string = ''
@secure()
param fedexClientSecret string
@secure()
@description('Key of the keyed fingerprints of personal data (REDACTION_KEY).')
param redactionKey string

// Key Vault secret names allow only letters, digits and dashes.
var names = {
  shopifyAdminToken: 'shopify-admin-token'
  shopifyApiSecret: 'shopify-api-secret'
  shopifyApiSecretPrevious: 'shopify-api-secret-previous'
  d365ClientSecret: 'd365-client-secret'
  dataverseClientSecret: 'dataverse-client-secret'
  fedexClientSecret: 'fedex-client-secret'
  redactionKey: 'redaction-key'
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109:without VNet integration the Functions platform resolves Key Vault references over the public endpoint (App Service is not a trusted service for the firewall bypass); access is RBAC-only
  // checkov:skip=CKV_AZURE_189:same reason as CKV_AZURE_109; deny public access once the app is VNet-integrated with a private endpoint
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      // The Functions platform resolves Key Vault references over the public endpoint unless the app
      // is VNet-integrated; access is RBAC-only (Key Vault Secrets User for the app's identity).
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource shopifyAdminTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41:an expiry date would take the integration down on that date; secrets are rotated by adding a new version (README, rotating secrets)
  parent: vault
  name: names.shopifyAdminToken
  properties: {
    value: shopifyAdminToken
    contentType: 'text/plain'
  }
}

resource shopifyApiSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41:an expiry date would take the integration down on that date; secrets are rotated by adding a new version (README, rotating secrets)
  parent: vault
  name: names.shopifyApiSecret
  properties: {
    value: shopifyApiSecret
    contentType: 'text/plain'
  }
}

resource shopifyApiSecretPreviousSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(shopifyApiSecretPrevious)) {
  // checkov:skip=CKV_AZURE_41:an expiry date would take the integration down on that date; secrets are rotated by adding a new version (README, rotating secrets)
  // checkov:skip=CKV_AZURE_114:contentType is set below; checkov does not read the properties of a conditional (if) resource
  parent: vault
  name: names.shopifyApiSecretPrevious
  properties: {
    value: shopifyApiSecretPrevious
    contentType: 'text/plain'
  }
}

resource d365ClientSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(d365ClientSecret)) {
  // checkov:skip=CKV_AZURE_41:an expiry date would take the integration down on that date; secrets are rotated by adding a new version (README, rotating secrets)
  // checkov:skip=CKV_AZURE_114:contentType is set below; checkov does not read the properties of a conditional (if) resource
  parent: vault
  name: names.d365ClientSecret
  properties: {
    value: d365ClientSecret
    contentType: 'text/plain'
  }
}

resource dataverseClientSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(dataverseClientSecret)) {
  // checkov:skip=CKV_AZURE_41:an expiry date would take the integration down on that date; secrets are rotated by adding a new version (README, rotating secrets)
  // checkov:skip=CKV_AZURE_114:contentType is set below; checkov does not read the properties of a conditional (if) resource
  parent: vault
  name: names.dataverseClientSecret
  properties: {
    value: dataverseClientSecret
    contentType: 'text/plain'
  }
}

resource fedexClientSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41:an expiry date would take the integration down on that date; secrets are rotated by adding a new version (README, rotating secrets)
  parent: vault
  name: names.fedexClientSecret
  properties: {
    value: fedexClientSecret
    contentType: 'text/plain'
  }
}

resource redactionKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41:an expiry date would take the integration down on that date; secrets are rotated by adding a new version (README, rotating secrets)
  parent: vault
  name: names.redactionKey
  properties: {
    value: redactionKey
    contentType: 'text/plain'
  }
}

// App-setting values: Key Vault references to versionless secret URIs, built from the vault URI
// (which ends in '/') so that optional secrets need no conditional references; empty when an optional
// secret was not supplied. The module finishes only after every secret exists, so the app settings
// that use these outputs are written after the secrets.
var secretsUri = '${vault.properties.vaultUri}secrets/'
output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
output shopifyAdminTokenRef string = '@Microsoft.KeyVault(SecretUri=${secretsUri}${names.shopifyAdminToken})'
output shopifyApiSecretRef string = '@Microsoft.KeyVault(SecretUri=${secretsUri}${names.shopifyApiSecret})'
output shopifyApiSecretPreviousRef string = empty(shopifyApiSecretPrevious) ? '' : '@Microsoft.KeyVault(SecretUri=${secretsUri}${names.shopifyApiSecretPrevious})'
output d365ClientSecretRef string = empty(d365ClientSecret) ? '' : '@Microsoft.KeyVault(SecretUri=${secretsUri}${names.d365ClientSecret})'
output dataverseClientSecretRef string = empty(dataverseClientSecret) ? '' : '@Microsoft.KeyVault(SecretUri=${secretsUri}${names.dataverseClientSecret})'
output fedexClientSecretRef string = '@Microsoft.KeyVault(SecretUri=${secretsUri}${names.fedexClientSecret})'
output redactionKeyRef string = '@Microsoft.KeyVault(SecretUri=${secretsUri}${names.redactionKey})'
