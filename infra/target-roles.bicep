// Role assignments on the resources a release touches. Each id must be in this resource group
// (deploy this module once per other resource group with `scope: resourceGroup(...)` for targets elsewhere).

@description('Principal id of the managed identity (a runtime value: used in the assignments, not in their names).')
param principalId string

@description('Resource id of the managed identity, known at compile time: the assignments\' names derive from it.')
param identityId string
param appServiceSiteIds array
param containerAppIds array
param sliWorkspaceIds array
param roles object

resource sites 'Microsoft.Web/sites@2023-12-01' existing = [for id in appServiceSiteIds: {
  name: last(split(id, '/'))
}]

resource siteRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (id, i) in appServiceSiteIds: {
  scope: sites[i]
  name: guid(id, identityId, roles.websiteContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.websiteContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource siteMetricsRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (id, i) in appServiceSiteIds: {
  scope: sites[i]
  name: guid(id, identityId, roles.monitoringReader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource apps 'Microsoft.App/containerApps@2024-03-01' existing = [for id in containerAppIds: {
  name: last(split(id, '/'))
}]

resource appRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (id, i) in containerAppIds: {
  scope: apps[i]
  name: guid(id, identityId, roles.containerAppsContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.containerAppsContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource appMetricsRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (id, i) in containerAppIds: {
  scope: apps[i]
  name: guid(id, identityId, roles.monitoringReader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource workspaces 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = [for id in sliWorkspaceIds: {
  name: last(split(id, '/'))
}]

resource workspaceRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (id, i) in sliWorkspaceIds: {
  scope: workspaces[i]
  name: guid(id, identityId, roles.logAnalyticsReader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.logAnalyticsReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]
