// ReleaseFunctions on Azure: a Linux function app running the app as a .NET isolated worker (dotnet-isolated, .NET 10)
// on an Elastic Premium plan (README, "Deploy to Azure": why not Flex Consumption), with its storage (the Durable
// extension's Azure Storage backend and the host's own, over the managed identity),
// Log Analytics + Application Insights, a user-assigned managed identity holding the roles the SLI queries and
// traffic shifts need, Key Vault references for the GitHub secrets, and optionally a PostgreSQL flexible server
// for the engine's store (several instances share the work).
//
//   az deployment group create -g <rg> -f infra/main.bicep -p name=<prefix> githubAppId=<id> ...
//
// Publish the app with `dotnet publish src/ReleaseFunctions -c Release -o publish` (which writes host.json,
// functions.metadata, worker.config.json, extensions.json and .azurefunctions/) and zip-deploy the publish folder.

targetScope = 'resourceGroup'

@description('Prefix for resource names (letters and digits, 3 to 11 characters).')
@minLength(3)
@maxLength(11)
param name string

param location string = resourceGroup().location

@description('GitHub App id; leave empty when a token is used instead.')
param githubAppId string = ''

@description('Branches whose merges start releases.')
param releaseBranches array = [
  'main'
]

@description('Resource ids of the App Service sites / Container Apps the releases shift traffic on (Monitoring Reader and Website Contributor / Container Apps Contributor are granted on each). They must be in this resource group: target-roles.bicep finds them by name here.')
param appServiceSiteIds array = []
param containerAppIds array = []

@description('Log Analytics workspaces (besides the one created here) the SLI queries read.')
param sliWorkspaceIds array = []

// The default policy (for repositories without .github/release-policy.yml). The sandbox is off here, so it must name a
// configured target and SLI source, or the app refuses to start: the target below, and the Log Analytics workspace
// created here (Application Insights writes the AppRequests table to it).
@description('Deployment provider of the default policy: app-service or container-apps.')
@allowed([
  'app-service'
  'container-apps'
])
param defaultTargetProvider string = empty(appServiceSiteIds) && !empty(containerAppIds) ? 'container-apps' : 'app-service'

@description('Resource id of the site (app-service) or container app (container-apps) the default policy releases.')
param defaultTargetResourceId string = defaultTargetProvider == 'app-service' ? (empty(appServiceSiteIds) ? '' : first(appServiceSiteIds)) : (empty(containerAppIds) ? '' : first(containerAppIds))

@description('Use PostgreSQL for the engine store instead of SQLite on the app\'s file share.')
param usePostgres bool = false

@secure()
@description('Administrator password of the PostgreSQL server (only when usePostgres).')
param postgresAdminPassword string = ''

@description('Client id (appId) of the Microsoft Entra ID app registration people sign in to through App Service Authentication, and bearer tokens for automation are issued for (infra/register-entra-app.sh creates it with the app roles of infra/entra-app-roles.json). Empty: no Entra sign-in, and nothing of it is deployed.')
param entraClientId string = ''

@description('Tenant of the Entra ID app registration (only when entraClientId is set).')
param entraTenantId string = tenant().tenantId

var suffix = uniqueString(resourceGroup().id, name)
var roles = {
  monitoringReader: '43d0d8ad-25c7-4714-9337-8ba259a9fe05'
  logAnalyticsReader: '73c42c96-874c-492b-b04d-ab87d138a893'
  websiteContributor: 'de139f84-1756-47ae-9be6-808fbbe84772'
  containerAppsContributor: '358470bc-b998-42bd-ab17-a7e34c199c0f'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

// The host's storage (AzureWebJobsStorage over the managed identity): blobs (the host's keys and timer leases, the
// Durable backend's partition leases and large payloads: Blob Data Owner), queues (the Durable backend's control and
// work-item queues: Queue Data Contributor) and tables (the Durable backend's history and instances tables, and the
// release ledger's tables, which every instance shares: Table Data Contributor). The Durable extension reads the same
// connection (host.json: connectionName AzureWebJobsStorage); the ledger is told the account's table endpoint.
var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${name}-id'
  location: location
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: toLower('${name}${take(suffix, 10)}')
  location: location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${name}-logs'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${name}-ai'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: '${name}-kv-${take(suffix, 6)}'
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
  }
}

// The secrets themselves are not created here: set them in the vault after deploying (README, "Deploy to Azure").
var secretNames = [
  'github-webhook-secret'
  'github-app-private-key'
  'github-token'
  'operator-api-key'
  'audit-chain-key'
]

// Elastic Premium: always one warm instance (a webhook is answered at once, soaks and timers wake on time), the
// Durable backend's queues drive scale-out, and /home is the app's persistent file share (the SQLite ledger).
resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${name}-plan'
  location: location
  kind: 'elastic'
  sku: { name: 'EP1', tier: 'ElasticPremium' }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: 4
  }
}

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2023-12-01-preview' = if (usePostgres) {
  name: '${name}-pg-${take(suffix, 6)}'
  location: location
  sku: { name: 'Standard_B1ms', tier: 'Burstable' }
  properties: {
    version: '16'
    administratorLogin: 'releasefunctions'
    administratorLoginPassword: postgresAdminPassword
    storage: { storageSizeGB: 32 }
    backup: { backupRetentionDays: 7, geoRedundantBackup: 'Disabled' }
  }
}

resource postgresDatabase 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2023-12-01-preview' = if (usePostgres) {
  parent: postgres
  name: 'releasefunctions'
}

// Only Azure services (the function app's outbound addresses are not known until it exists) may connect.
resource postgresFirewall 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2023-12-01-preview' = if (usePostgres) {
  parent: postgres
  name: 'AllowAzureServices'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

// The connection string, password included, lives in Key Vault; the app setting is a Key Vault reference.
resource postgresConnectionSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (usePostgres) {
  parent: vault
  name: 'postgres-connection-string'
  properties: {
    value: 'Host=${postgres!.properties.fullyQualifiedDomainName};Database=releasefunctions;Username=releasefunctions;Password=${postgresAdminPassword};SSL Mode=Require'
  }
}

var releaseBranchSettings = [for (branch, i) in releaseBranches: { name: 'ReleaseFunctions__GitHub__ReleaseBranches__${i}', value: branch }]

var kvRef = 'https://${vault.name}${environment().suffixes.keyvaultDns}/secrets'

// Entra ID sign-in (only when entraClientId is set): App Service Authentication signs people in and passes who they
// are in X-MS-CLIENT-PRINCIPAL, which the app trusts then; automation sends bearer tokens, which the app validates
// itself against the tenant's v2.0 issuer, for the registration's client id.
var entraIssuer = '${environment().authentication.loginEndpoint}${entraTenantId}/v2.0'
var entraSettings = empty(entraClientId) ? [] : [
  { name: 'ReleaseFunctions__Operator__TrustAppServiceAuthentication', value: 'true' }
  { name: 'ReleaseFunctions__Operator__Jwt__Authority', value: entraIssuer }
  { name: 'ReleaseFunctions__Operator__Jwt__Audience', value: entraClientId }
]

resource app 'Microsoft.Web/sites@2023-12-01' = {
  name: '${name}-func-${take(suffix, 6)}'
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      linuxFxVersion: 'DOTNET-ISOLATED|10.0'
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      minimumElasticInstanceCount: 1
      // The host itself reports the Durable backend's load to the scale controller: it reads storage with the
      // managed identity, which the platform's scale controller could not.
      functionsRuntimeScaleMonitoringEnabled: true
      appSettings: concat([
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
        { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'dotnet-isolated' }
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
        { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
        { name: 'ReleaseFunctions__Sandbox__Enabled', value: 'false' }
        { name: 'ReleaseFunctions__Sli__DefaultProvider', value: 'azuremonitor' }
        { name: 'ReleaseFunctions__AzureMonitor__WorkspaceId', value: workspace.properties.customerId }
        { name: 'ReleaseFunctions__DefaultPolicy__TargetProvider', value: defaultTargetProvider }
        { name: 'ReleaseFunctions__DefaultPolicy__TargetParameters__resource_id', value: defaultTargetResourceId }
        { name: 'ReleaseFunctions__DefaultPolicy__ErrorRateQuery', value: 'AppRequests | where AppRoleName == \'{service}\' | summarize value = todouble(countif(Success == false)) / count() by bin(TimeGenerated, 1m)' }
        { name: 'ReleaseFunctions__DefaultPolicy__LatencyP99Query', value: 'AppRequests | where AppRoleName == \'{service}\' | summarize value = percentile(DurationMs, 99) by bin(TimeGenerated, 1m)' }
        { name: 'ReleaseFunctions__GitHub__AppId', value: githubAppId }
        { name: 'ReleaseFunctions__GitHub__WebhookSecrets__0', value: '@Microsoft.KeyVault(SecretUri=${kvRef}/github-webhook-secret)' }
        { name: 'ReleaseFunctions__GitHub__PrivateKey', value: empty(githubAppId) ? '' : '@Microsoft.KeyVault(SecretUri=${kvRef}/github-app-private-key)' }
        { name: 'ReleaseFunctions__GitHub__Token', value: empty(githubAppId) ? '@Microsoft.KeyVault(SecretUri=${kvRef}/github-token)' : '' }
        { name: 'ReleaseFunctions__Operator__ApiKeys__0', value: '@Microsoft.KeyVault(SecretUri=${kvRef}/operator-api-key)' }
        { name: 'ReleaseFunctions__Store__Provider', value: usePostgres ? 'postgres' : 'sqlite' }
        { name: 'ReleaseFunctions__Store__SqlitePath', value: '/home/data/releasefunctions.db' }
        { name: 'ReleaseFunctions__Store__PostgresConnectionString', value: usePostgres ? '@Microsoft.KeyVault(SecretUri=${kvRef}/postgres-connection-string)' : '' }
        { name: 'ReleaseFunctions__Ledger__Provider', value: 'Tables' }
        { name: 'ReleaseFunctions__Ledger__TableServiceUri', value: storage.properties.primaryEndpoints.table }
        { name: 'ReleaseFunctions__Audit__ChainKey', value: '@Microsoft.KeyVault(SecretUri=${kvRef}/audit-chain-key)' }
      ], releaseBranchSettings, entraSettings)
    }
  }
}

// App Service Authentication ("Easy Auth") with Entra ID, in front of the app but deciding nothing: anonymous requests
// pass (GitHub's webhooks, the health probes, operator API keys), and the app answers 401/403 on the operator API
// itself. No client secret: the sign-in uses the ID token the registration issues (implicit ID tokens on, see
// infra/register-entra-app.sh), and no token store.
resource appAuth 'Microsoft.Web/sites/config@2023-12-01' = if (!empty(entraClientId)) {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
      excludedPaths: [
        '/api/github/webhook'
      ]
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: entraIssuer
          clientId: entraClientId
        }
        validation: {
          allowedAudiences: [
            'api://${entraClientId}'
            entraClientId
          ]
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

// Roles the managed identity needs: use the host's storage, read secrets, read SLIs, shift traffic.
resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in storageRoles: {
  scope: storage
  name: guid(storage.id, identity.id, role)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource vaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource workspaceRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: workspace
  name: guid(workspace.id, identity.id, roles.logAnalyticsReader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.logAnalyticsReader)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Monitoring Reader (metrics), Website Contributor / Container Apps Contributor on each listed target, and Log
// Analytics Reader on each listed SLI workspace: on those resources only, never on the resource group.
module targetRoles 'target-roles.bicep' = {
  name: '${name}-target-roles'
  params: {
    principalId: identity.properties.principalId
    identityId: identity.id
    appServiceSiteIds: appServiceSiteIds
    containerAppIds: containerAppIds
    sliWorkspaceIds: sliWorkspaceIds
    roles: roles
  }
}

// FTP is off twice over: ftpsState above, and no basic-auth publishing over FTP (zip deploy uses SCM).
resource appFtp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

// Diagnostic settings: the function app's, the vault's and the database's logs go to the Log Analytics workspace.
resource appDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: app
  name: 'to-log-analytics'
  properties: {
    workspaceId: workspace.id
    logs: [
      { category: 'FunctionAppLogs', enabled: true }
    ]
    metrics: [
      { category: 'AllMetrics', enabled: true }
    ]
  }
}

resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: vault
  name: 'to-log-analytics'
  properties: {
    workspaceId: workspace.id
    logs: [
      { categoryGroup: 'audit', enabled: true }
    ]
    metrics: [
      { category: 'AllMetrics', enabled: true }
    ]
  }
}

resource postgresDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (usePostgres) {
  scope: postgres
  name: 'to-log-analytics'
  properties: {
    workspaceId: workspace.id
    logs: [
      { category: 'PostgreSQLLogs', enabled: true }
    ]
    metrics: [
      { category: 'AllMetrics', enabled: true }
    ]
  }
}

output functionAppName string = app.name
output webhookUrl string = 'https://${app.properties.defaultHostName}/api/github/webhook'
output keyVaultName string = vault.name
output secretsToSet array = secretNames
output managedIdentityClientId string = identity.properties.clientId
