// The Function App on a Flex Consumption (FC1) plan: Python 3.13, code deployed to a blob container
// through the managed identity, identity-based host storage, secrets as Key Vault references.
param name string
param planName string
param location string
param tags object = {}

param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsConnectionString string

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048
@minValue(1)
@maxValue(1000)
@description('Upper bound on instances. Each instance runs up to batchSize + newBatchThreshold messages per queue function at once (host.json), so this also caps the load on F&O.')
param maximumInstanceCount int = 40
@description('Concurrent HTTP invocations per instance (webhooks and carrier-rate callbacks).')
param httpPerInstanceConcurrency int = 16

@description('Every other app setting (plain values and @Microsoft.KeyVault references), built in main.bicep.')
param appSettings object

@description('Client id of the Entra ID app registration that signs operators in to the ops API and console (App Service Authentication).')
param opsAuthClientId string
@description('Entra tenant of the operators.')
param opsAuthTenantId string = tenant().tenantId
@description('Object ids of the users, groups\' members or service principals allowed to use the ops API; empty = anyone the app registration lets sign in (restrict it with "assignment required" on the enterprise app).')
param opsAllowedPrincipalIds array = []

var opsAuthorizationPolicy = {
  allowedPrincipals: {
    identities: opsAllowedPrincipalIds
  }
}

// Paths Easy Auth leaves to the app: Shopify (HMAC), F&O business events (function key) and the
// anonymous health probe. Everything else, /api/ops/* and the console included, needs an Entra sign-in.
var easyAuthExcludedPaths = [
  '/api/shopify/webhooks'
  '/api/shopify/carrier-rates'
  '/api/d365/events/packing-slip'
  '/api/health'
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225:zone redundancy on Flex Consumption needs a supporting region and always-ready instances (cost); Shopify retries webhooks and queued work survives in storage
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222:Shopify and F&O call their endpoints over the internet (HMAC, function key); the ops API needs Entra ID (Easy Auth, authsettingsV2 below) and a function key
  // checkov:skip=CKV_AZURE_17:Shopify cannot present client certificates
  // checkov:skip=CKV_AZURE_212:Flex Consumption scales from zero; always-ready instances are an opt-in cost (README, scaling)
  // checkov:skip=CKV_AZURE_213:no App Service health-check pings on a scale-to-zero plan; GET /api/health serves availability tests
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // Key Vault references resolve with the user-assigned identity (the default would be a
    // system-assigned identity, which this app does not have).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.13'
      }
    }
  }
}

// No FTP and no basic-auth (publishing profile) deployments: azd deploys with Entra ID.
resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// Flex Consumption takes no FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION settings: the
// runtime comes from functionAppConfig.runtime.
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  // This resource is the app-settings collection, not a siteConfig: checkov's siteConfig checks do not apply.
  // checkov:skip=CKV_AZURE_13:App Service Authentication is on: the authsettingsV2 resource below (Entra ID for /api/ops/* and the console; the Shopify and F&O paths are excluded by path and keep their HMAC / function key); checkov looks for it in siteConfig only
  // checkov:skip=CKV_AZURE_63:App Service HTTP logs do not exist on Flex Consumption; requests go to Application Insights
  // checkov:skip=CKV_AZURE_65:IIS detailed error pages do not apply to a Linux function app
  // checkov:skip=CKV_AZURE_66:IIS failed-request tracing does not apply to a Linux function app
  // checkov:skip=CKV_AZURE_80:not a .NET app (Python 3.13)
  // checkov:skip=CKV_AZURE_88:Flex Consumption has no Azure Files content share; code is deployed to a blob container
  // checkov:skip=CKV_AZURE_222:see the site resource: Shopify must reach the HTTP endpoints
  parent: site
  name: 'appsettings'
  properties: union(appSettings, {
    // Identity-based host storage (no connection string, no shared keys).
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    // azure-identity (DefaultAzureCredential / ManagedIdentityCredential) picks this identity.
    AZURE_CLIENT_ID: identityClientId
    // Telemetry with Entra auth (the App Insights resource has local auth disabled).
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    // The Python worker configures azure-monitor-opentelemetry itself (host.json telemetryMode).
    PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY: 'true'
  })
}

// App Service Authentication (Easy Auth) with Entra ID. It authenticates before the app runs, strips
// client-sent X-MS-CLIENT-PRINCIPAL* headers and adds the caller's; the ops API records that principal
// in the audit log and refuses requests without one.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  // This resource is the authentication settings, not a siteConfig: checkov's siteConfig checks do not apply.
  // checkov:skip=CKV_AZURE_13:this resource is App Service Authentication itself (Entra ID, excluded paths below)
  // checkov:skip=CKV_AZURE_63:App Service HTTP logs do not exist on Flex Consumption; requests go to Application Insights
  // checkov:skip=CKV_AZURE_65:IIS detailed error pages do not apply to a Linux function app
  // checkov:skip=CKV_AZURE_66:IIS failed-request tracing does not apply to a Linux function app
  // checkov:skip=CKV_AZURE_80:not a .NET app (Python 3.13)
  // checkov:skip=CKV_AZURE_88:Flex Consumption has no Azure Files content share; code is deployed to a blob container
  // checkov:skip=CKV_AZURE_222:see the site resource: Shopify and F&O must reach their HTTP endpoints
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      // The console is a browser page: send it to the sign-in page. API clients send a bearer token.
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: easyAuthExcludedPaths
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: opsAuthClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${opsAuthTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${opsAuthClientId}'
            opsAuthClientId
          ]
          defaultAuthorizationPolicy: empty(opsAllowedPrincipalIds) ? {} : opsAuthorizationPolicy
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
