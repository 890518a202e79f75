// Optional shared rate cache (deployed only when enableRedis is true). The connection URL, which
// carries the access key, goes straight into Key Vault and never appears in an output or app setting.
param name string
param location string
param tags object = {}
param keyVaultName string
@allowed(['Basic', 'Standard'])
param skuName string = 'Basic'
@description('C0 = 250 MB, plenty for rate quotes.')
param capacity int = 0

resource redis 'Microsoft.Cache/redis@2024-03-01' = {
  // checkov:skip=CKV_AZURE_89:Flex Consumption without VNet integration reaches Redis over its public TLS endpoint; access needs the key, which lives only in Key Vault
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
    redisConfiguration: {
      'maxmemory-policy': 'allkeys-lru'
    }
  }
}

var secretName = 'redis-url'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource redisUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41:an expiry would stop the rate cache on that date; the key is rotated with the cache (README, rotating secrets)
  parent: vault
  name: secretName
  properties: {
    // rediss:// = TLS on the SSL port; the key is the password of the default user.
    value: 'rediss://:${redis.listKeys().primaryKey}@${redis.properties.hostName}:${redis.properties.sslPort}/0'
    contentType: 'text/plain'
  }
}

output name string = redis.name
output redisUrlRef string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${secretName})'
