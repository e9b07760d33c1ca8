using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Api.Access;
using ReleaseFunctions.Composition;
using ReleaseFunctions.Policy;

namespace ReleaseFunctions.Hosting.Settings;

/// <summary>
/// Checks <see cref="ReleaseFunctionsOptions"/> at start. Every message names the setting by its Functions-style key
/// and says what is expected. With the sandbox disabled (production), GitHub credentials, a webhook secret, an
/// operator API key and a real SLI provider are required. When the default policy's and the integrations' settings are
/// known, the default policy must name only a target and SLI providers that are configured (<see cref="DefaultPolicyProviders"/>).
/// </summary>
internal sealed class ReleaseFunctionsOptionsValidator(
    HostStartupProblems startupProblems,
    IOptions<DefaultReleasePolicyOptions>? defaultPolicy = null,
    IOptions<IntegrationEndpointsOptions>? endpoints = null) : IValidateOptions<ReleaseFunctionsOptions>
{
    public ValidateOptionsResult Validate(string? name, ReleaseFunctionsOptions options)
    {
        var problems = new List<string>(startupProblems.Messages);
        problems.AddRange(options.SettingProblems);
        ValidateStore(options.Store, problems);
        ValidateGitHub(options.GitHub, options.Sandbox.Enabled, problems);
        ValidateSli(options.Sli, options.Sandbox.Enabled, problems);
        ValidateOperator(options.Operator, options.Sandbox.Enabled, problems);
        ValidateDefaultPolicy(options, problems);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private void ValidateDefaultPolicy(ReleaseFunctionsOptions options, List<string> problems)
    {
        if (defaultPolicy is null || endpoints is null)
        {
            return;
        }

        try
        {
            problems.AddRange(DefaultPolicyProviders.Problems(options, defaultPolicy.Value, endpoints.Value));
        }
        catch (OptionsValidationException)
        {
            // Malformed default-policy or endpoint settings: their own validators report them.
        }
    }

    private static void ValidateStore(StoreOptions store, List<string> problems)
    {
        if (string.Equals(store.Provider, StoreOptions.Sqlite, StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(store.SqlitePath) || store.SqlitePath.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            {
                problems.Add($"{SettingKeys.Of("Store", "SqlitePath")} is '{store.SqlitePath}'; expected a file path such as 'data/releasefunctions.db'.");
            }
        }
        else if (store.UsesPostgres)
        {
            ValidatePostgres(store.PostgresConnectionString, problems);
        }
        else
        {
            problems.Add($"{SettingKeys.Of("Store", "Provider")} is '{store.Provider}'; expected '{StoreOptions.Sqlite}' or '{StoreOptions.Postgres}'.");
        }

        if (!StoreOptions.IsValidLease(store.LeaseDuration))
        {
            problems.Add($"{SettingKeys.Of("Store", "LeaseDuration")} is {store.LeaseDuration}; expected from 5 seconds to 1 hour such as '1m'.");
        }
    }

    private static void ValidatePostgres(string? connectionString, List<string> problems)
    {
        var key = SettingKeys.Of("Store", "PostgresConnectionString");
        const string Example = "'Host=db.example.com;Database=releasefunctions;Username=app;Password=...'";
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            problems.Add($"{key} is missing; expected an Npgsql connection string such as {Example} because {SettingKeys.Of("Store", "Provider")} is 'postgres'.");
            return;
        }

        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            // The value may hold a password, so it is not repeated.
            problems.Add($"{key} is not in 'Key=Value;Key=Value' form; expected an Npgsql connection string such as {Example}.");
            return;
        }

        if (!builder.ContainsKey("Host") && !builder.ContainsKey("Server"))
        {
            problems.Add($"{key} names no Host; expected an Npgsql connection string such as {Example}.");
        }
    }

    private static void ValidateGitHub(GitHubOptions gitHub, bool sandboxEnabled, List<string> problems)
    {
        for (var i = 0; i < gitHub.WebhookSecrets.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(gitHub.WebhookSecrets[i]))
            {
                problems.Add($"{SettingKeys.Of("GitHub", "WebhookSecrets", i.ToString(CultureInfo.InvariantCulture))} is empty; expected the secret configured on the GitHub webhook.");
            }
        }

        if (gitHub.UsesApp)
        {
            if (!long.TryParse(gitHub.AppId, NumberStyles.None, CultureInfo.InvariantCulture, out var appId) || appId < 1)
            {
                problems.Add($"{SettingKeys.Of("GitHub", "AppId")} is '{gitHub.AppId}'; expected the GitHub App's numeric id.");
            }

            if (string.IsNullOrWhiteSpace(gitHub.PrivateKey))
            {
                problems.Add($"{SettingKeys.Of("GitHub", "PrivateKey")} is missing; expected the GitHub App's PEM private key because {SettingKeys.Of("GitHub", "AppId")} is set.");
            }
            else if (!gitHub.PrivateKey.Contains("-----BEGIN", StringComparison.Ordinal) || !gitHub.PrivateKey.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            {
                problems.Add($"{SettingKeys.Of("GitHub", "PrivateKey")} is not a PEM private key; expected text from '-----BEGIN RSA PRIVATE KEY-----' to its END line.");
            }

            if (!string.IsNullOrWhiteSpace(gitHub.Token))
            {
                problems.Add($"{SettingKeys.Of("GitHub", "Token")} and {SettingKeys.Of("GitHub", "AppId")} are both set; expected one way to authenticate to GitHub, not both.");
            }
        }
        else if (!string.IsNullOrWhiteSpace(gitHub.PrivateKey))
        {
            problems.Add($"{SettingKeys.Of("GitHub", "AppId")} is missing; expected the GitHub App's numeric id because {SettingKeys.Of("GitHub", "PrivateKey")} is set.");
        }

        if (!Uri.TryCreate(gitHub.ApiBaseUrl, UriKind.Absolute, out var apiBase) || (apiBase.Scheme != Uri.UriSchemeHttps && apiBase.Scheme != Uri.UriSchemeHttp))
        {
            problems.Add($"{SettingKeys.Of("GitHub", "ApiBaseUrl")} is '{gitHub.ApiBaseUrl}'; expected an absolute http(s) URL such as 'https://api.github.com'.");
        }

        if (gitHub.ReleaseBranches.Count == 0)
        {
            problems.Add($"{SettingKeys.Of("GitHub", "ReleaseBranches")} is empty; expected at least one branch name such as 'main'.");
        }

        for (var i = 0; i < gitHub.ReleaseBranches.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(gitHub.ReleaseBranches[i]))
            {
                problems.Add($"{SettingKeys.Of("GitHub", "ReleaseBranches", i.ToString(CultureInfo.InvariantCulture))} is empty; expected a branch name such as 'main'.");
            }
        }

        if (!sandboxEnabled)
        {
            if (!gitHub.UsesApp && string.IsNullOrWhiteSpace(gitHub.Token))
            {
                problems.Add($"{SettingKeys.Of("GitHub", "Token")} or {SettingKeys.Of("GitHub", "AppId")} with {SettingKeys.Of("GitHub", "PrivateKey")} is required when {SettingKeys.Of("Sandbox", "Enabled")} is false; expected GitHub credentials.");
            }

            if (gitHub.WebhookSecrets.Count == 0)
            {
                problems.Add($"{SettingKeys.Of("GitHub", "WebhookSecrets")} is empty; expected at least one webhook secret when {SettingKeys.Of("Sandbox", "Enabled")} is false, so unsigned deliveries are refused.");
            }
        }
    }

    private static void ValidateSli(SliOptions sli, bool sandboxEnabled, List<string> problems)
    {
        string[] known = [SliOptions.Sandbox, SliOptions.AzureMonitor, SliOptions.Prometheus];
        var key = SettingKeys.Of("Sli", "DefaultProvider");
        if (!known.Contains(sli.DefaultProvider, StringComparer.OrdinalIgnoreCase))
        {
            problems.Add($"{key} is '{sli.DefaultProvider}'; expected one of {string.Join(", ", known.Select(k => $"'{k}'"))}.");
        }
        else if (!sandboxEnabled && string.Equals(sli.DefaultProvider, SliOptions.Sandbox, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{key} is 'sandbox' but {SettingKeys.Of("Sandbox", "Enabled")} is false; expected '{SliOptions.AzureMonitor}' or '{SliOptions.Prometheus}', or the sandbox enabled.");
        }
    }

    private static void ValidateOperator(OperatorOptions @operator, bool sandboxEnabled, List<string> problems)
    {
        for (var i = 0; i < @operator.ApiKeys.Count; i++)
        {
            if (OperatorApiKey.TryParse(@operator.ApiKeys[i], i, out var problem) is null)
            {
                problems.Add($"{SettingKeys.Of("Operator", "ApiKeys", i.ToString(CultureInfo.InvariantCulture))} {problem}.");
            }
        }

        for (var i = 0; i < @operator.GitHubLogins.Count; i++)
        {
            if (!OperatorGitHubLogins.TryParse(@operator.GitHubLogins[i], out _, out _, out var problem))
            {
                problems.Add($"{SettingKeys.Of("Operator", "GitHubLogins", i.ToString(CultureInfo.InvariantCulture))} {problem}.");
            }
        }

        if (@operator.TrustAppServiceAuthentication && !@operator.AppServiceAuthenticationEnabled)
        {
            problems.Add($"{SettingKeys.Of("Operator", "TrustAppServiceAuthentication")} is true but App Service Authentication is not running in front of this app (WEBSITE_AUTH_ENABLED is not 'True'); " +
                "expected it only where the platform signs people in, since anywhere else any caller can write the X-MS-CLIENT-PRINCIPAL header.");
        }

        ValidateBearerTokens(@operator.Jwt, problems);
        var anySignIn = @operator.ApiKeys.Count > 0 || @operator.TrustsAppServicePrincipal || @operator.Jwt.Enabled;
        if (!sandboxEnabled && !anySignIn)
        {
            problems.Add($"{SettingKeys.Of("Operator", "ApiKeys")} is empty and no other sign-in is configured; expected at least one operator API key, " +
                $"{SettingKeys.Of("Operator", "TrustAppServiceAuthentication")} behind App Service Authentication, or {SettingKeys.Of("Operator", "Jwt", "Authority")}, " +
                $"when {SettingKeys.Of("Sandbox", "Enabled")} is false, so the operator API is not open.");
        }
    }

    private static void ValidateBearerTokens(OperatorBearerTokenOptions jwt, List<string> problems)
    {
        if (!jwt.Enabled)
        {
            if (jwt.Audiences.Count > 0)
            {
                problems.Add($"{SettingKeys.Of("Operator", "Jwt", "Audience")} is set but {SettingKeys.Of("Operator", "Jwt", "Authority")} is not; expected the issuer too, e.g. 'https://login.microsoftonline.com/TENANT-ID/v2.0'.");
            }

            return;
        }

        var key = SettingKeys.Of("Operator", "Jwt", "Authority");
        if (!Uri.TryCreate(jwt.Authority!.Trim(), UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http") || (authority.Scheme == "http" && !authority.IsLoopback))
        {
            problems.Add($"{key} is '{jwt.Authority}'; expected the issuer's https address, e.g. 'https://login.microsoftonline.com/TENANT-ID/v2.0' (http only on loopback).");
        }

        if (jwt.Audiences.Count == 0 || jwt.Audiences.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add($"{SettingKeys.Of("Operator", "Jwt", "Audience")} is empty; expected the audiences tokens must be for, e.g. the app registration's client id and 'api://CLIENT-ID'.");
        }
    }
}
