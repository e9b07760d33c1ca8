#!/usr/bin/env bash
# Creates (or brings up to date) the Microsoft Entra ID app registration ReleaseFunctions signs people in with, through
# App Service Authentication, and validates automation's bearer tokens for: single tenant, the app roles of
# infra/entra-app-roles.json, identifier URI api://<client id>, v2.0 access tokens (the app validates them against the
# tenant's v2.0 issuer, for the client id), ID tokens for the sign-in (no client secret), the function app's sign-in
# redirect URI, and a service principal (the "Enterprise application" roles are assigned on). Run it again at will: it
# finds the registration by its display name. It prints the client id to pass as main.bicep's entraClientId.
#
#   infra/register-entra-app.sh <display name> [<resource group> [<function app name>]]
#
# With a resource group it adds https://<function app host>/.auth/login/aad/callback as a web redirect URI (the
# function app main.bicep deployed there, or the one named); without one, run it again with the resource group after
# the first deployment, or people cannot sign in in the browser (bearer tokens work without it).
#
# Then assign the roles (Release.Read, Release.Operate, Release.Approve, Release.Admin) to people, groups (Entra ID P1)
# or automation's service principals: in the portal, Enterprise applications > <display name> > Users and groups >
# Add user/group; or with Microsoft Graph, the role's id being the one in infra/entra-app-roles.json:
#   sp=$(az ad sp show --id <client id> --query id -o tsv)
#   az rest --method POST --uri "https://graph.microsoft.com/v1.0/servicePrincipals/$sp/appRoleAssignedTo" \
#     --headers Content-Type=application/json \
#     --body "{\"principalId\": \"<object id of the user, group or service principal>\", \"resourceId\": \"$sp\", \"appRoleId\": \"<role id>\"}"
# A role changes or goes away in two steps (Entra ID refuses to drop an enabled role): set its isEnabled to false in
# infra/entra-app-roles.json and run this, then edit or remove it and run this again. Keep the ids: assignments name them.
set -euo pipefail

usage() {
  echo "usage: $0 <display name> [<resource group> [<function app name>]]" >&2
  echo "  Creates or updates the Entra ID app registration (app roles from infra/entra-app-roles.json) and prints its client id (main.bicep's entraClientId)." >&2
  exit 2
}

[ "$#" -ge 1 ] && [ "$#" -le 3 ] && [ -n "$1" ] || usage
case "$1" in -h | --help) usage ;; esac
display_name=$1
resource_group=${2:-}
function_app=${3:-}

roles="$(cd "$(dirname "$0")" && pwd)/entra-app-roles.json"
[ -f "$roles" ] || { echo "$0: $roles not found" >&2; exit 1; }
command -v az >/dev/null || { echo "$0: the Azure CLI (az) is not installed" >&2; exit 1; }
az account show --output none || { echo "$0: sign in first: az login" >&2; exit 1; }
say() { echo "$@" >&2; } # progress on stderr: stdout is the client id alone

app_ids=$(az ad app list --display-name "$display_name" --query '[].appId' --output tsv)
if [ -z "$app_ids" ]; then
  say "Creating the app registration '$display_name'"
  app_id=$(az ad app create --display-name "$display_name" --sign-in-audience AzureADMyOrg \
    --app-roles "@$roles" --enable-id-token-issuance true --query appId --output tsv)
elif [ "$(wc -l <<<"$app_ids")" -eq 1 ]; then
  app_id=$app_ids
  say "Updating the app registration '$display_name' ($app_id)"
  az ad app update --id "$app_id" --app-roles "@$roles" --enable-id-token-issuance true --output none
else
  echo "$0: several app registrations are named '$display_name' ($(tr '\n' ' ' <<<"$app_ids")); rename all but one" >&2
  exit 1
fi

az ad app update --id "$app_id" --identifier-uris "api://$app_id" --output none

# v2.0 access tokens: issuer <login endpoint><tenant>/v2.0 and audience the client id, as the app expects them
# (ReleaseFunctions__Operator__Jwt__Authority and __Audience); v1.0 tokens name another issuer.
object_id=$(az ad app show --id "$app_id" --query id --output tsv)
graph=$(az cloud show --query endpoints.microsoftGraphResourceId --output tsv)
az rest --method PATCH --uri "${graph%/}/v1.0/applications/$object_id" \
  --headers Content-Type=application/json --body '{"api": {"requestedAccessTokenVersion": 2}}' --output none

if [ -n "$resource_group" ]; then
  if [ -z "$function_app" ]; then
    function_app=$(az functionapp list --resource-group "$resource_group" --query "[?contains(name, '-func-')].name" --output tsv)
    [ -n "$function_app" ] && [ "$(wc -l <<<"$function_app")" -eq 1 ] ||
      { echo "$0: expected one function app of main.bicep in $resource_group, found '${function_app//$'\n'/ }': name it" >&2; exit 1; }
  fi
  host=$(az functionapp show --resource-group "$resource_group" --name "$function_app" --query defaultHostName --output tsv)
  redirect="https://$host/.auth/login/aad/callback"
  mapfile -t redirects < <(az ad app show --id "$app_id" --query 'web.redirectUris[]' --output tsv)
  if printf '%s\n' "${redirects[@]}" | grep -qxF "$redirect"; then
    say "The redirect URI $redirect is registered"
  else
    say "Adding the redirect URI $redirect"
    az ad app update --id "$app_id" --web-redirect-uris "${redirects[@]}" "$redirect" --output none
  fi
else
  say "No resource group given: no redirect URI added. After deploying, run: $0 '$display_name' <resource group>"
fi

if [ -z "$(az ad sp list --filter "appId eq '$app_id'" --query '[].id' --output tsv)" ]; then
  say "Creating the service principal"
  az ad sp create --id "$app_id" --output none
fi

say "Client id (deploy with -p entraClientId=<it>, then assign the roles: see the top of $0):"
echo "$app_id"
