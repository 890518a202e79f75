// Host storage for the Function App: queues, tables, blobs (webhook payloads, timer locks) and the
// Flex Consumption deployment container. No shared keys: everything goes through the managed identity.
param name string
param location string
param tags object = {}
param deploymentContainerName string
@description('Container the freight invoice timer scans for FedEx invoice exports (FREIGHT_INVOICE_CONTAINER).')
param freightInvoiceContainerName string = 'fedex-invoices'
@description('Zone-redundant by default (idempotency records and the audit trail live here); Standard_LRS is cheaper where ZRS is not offered.')
@allowed(['Standard_ZRS', 'Standard_GZRS', 'Standard_LRS'])
param skuName string = 'Standard_ZRS'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35:Flex Consumption without VNet integration reaches host storage over the public endpoint; access is Entra-only (shared keys and anonymous blobs are off)
  // checkov:skip=CKV_AZURE_206:zone-redundant (ZRS) by default; geo-replication doubles the cost and the Functions host does not fail over to a secondary region by itself
  // checkov:skip=CKV_AZURE_59:same reason as CKV_AZURE_35; set publicNetworkAccess to Disabled with VNet integration and private endpoints
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    supportsHttpsTrafficOnly: true
    networkAcls: {
      // Flex Consumption without a VNet reaches storage over its public endpoint; access is still
      // identity-only (no shared keys, no anonymous blobs). Put the app in a VNet to deny here.
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }

  resource blobs 'blobServices' = {
    name: 'default'
    properties: {
      deleteRetentionPolicy: {
        enabled: true
        days: 7
      }
    }

    resource deployment 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }

    resource freightInvoices 'containers' = {
      name: freightInvoiceContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
