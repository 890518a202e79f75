// Optional shared rate cache (deployed only when enableRedis is true; off by default). Entra ID only:
// access keys are disabled, and the Function App's managed identity gets the built-in "Data Contributor"
// access policy. REDIS_URL carries no secret (rediss://<host>:6380/0); the app signs in with a token
// for https://redis.azure.com/.default (integration/rates/shared_cache.py).
param name string
param location string
param tags object = {}
@description('Object id of the managed identity that uses the cache.')
param principalId string
@allowed(['Basic', 'Standard'])
param skuName string = 'Basic'
@description('C0 = 250 MB, plenty for rate quotes.')
param capacity int = 0

resource redis 'Microsoft.Cache/redis@2024-03-01' = {
  // checkov:skip=CKV_AZURE_89:Flex Consumption without VNet integration reaches Redis over its public TLS endpoint; access needs an Entra ID token of the app's identity (access keys are disabled)
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: skuName
      family: 'C'
      capacity: capacity
    }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    disableAccessKeyAuthentication: true
    redisConfiguration: {
      'aad-enabled': 'true'
      'maxmemory-policy': 'allkeys-lru'
    }
  }
}

resource appAccess 'Microsoft.Cache/redis/accessPolicyAssignments@2024-03-01' = {
  parent: redis
  name: 'function-app'
  properties: {
    accessPolicyName: 'Data Contributor'
    objectId: principalId
    objectIdAlias: 'function-app'
  }
}

output name string = redis.name
output redisUrl string = 'rediss://${redis.properties.hostName}:${redis.properties.sslPort}/0'
