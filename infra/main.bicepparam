// A sample deployment: a GitHub App, one App Service site released by the default policy, PostgreSQL for the store.
//   az deployment group create -g my-rg -f infra/main.bicep -p infra/main.bicepparam
// The database password comes from the environment (RELEASEFUNCTIONS_POSTGRES_PASSWORD), never from this file.
using './main.bicep'

param name = 'relfn'
param githubAppId = '123456'
param releaseBranches = [
  'main'
]
param appServiceSiteIds = [
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg/providers/Microsoft.Web/sites/shop-web'
]
param containerAppIds = []
param sliWorkspaceIds = []
param defaultTargetProvider = 'app-service'
param usePostgres = true
param postgresAdminPassword = readEnvironmentVariable('RELEASEFUNCTIONS_POSTGRES_PASSWORD', '')
// Entra ID sign-in is off while this is empty. To turn it on, run `infra/register-entra-app.sh <display name> my-rg`
// and put the client id it prints here (or pass `-p entraClientId=<client id>`). entraTenantId is left to its
// default, the deployment's tenant: set it only when the app registration lives in another tenant.
param entraClientId = ''
