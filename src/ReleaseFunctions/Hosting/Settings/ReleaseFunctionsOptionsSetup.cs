using Microsoft.Extensions.Options;

namespace ReleaseFunctions.Hosting.Settings;

/// <summary>
/// Reads <see cref="ReleaseFunctionsOptions"/> from configuration. Written out instead of using the configuration
/// binder so that an unreadable value becomes a validation message naming its Functions-style key, not an exception,
/// and so lists accept both indexed keys and a comma-separated value.
/// </summary>
internal sealed class ReleaseFunctionsOptionsSetup(IConfiguration configuration) : IConfigureOptions<ReleaseFunctionsOptions>
{
    public void Configure(ReleaseFunctionsOptions options)
    {
        var reader = new SettingReader(configuration.GetSection(ReleaseFunctionsOptions.SectionName), options.SettingProblems);

        options.Store.Provider = reader.Text("Store", "Provider") ?? options.Store.Provider;
        options.Store.SqlitePath = reader.Text("Store", "SqlitePath") ?? options.Store.SqlitePath;
        options.Store.PostgresConnectionString = reader.Text("Store", "PostgresConnectionString") ?? options.Store.PostgresConnectionString;
        options.Store.LeaseDuration = reader.Duration("Store", "LeaseDuration", "1m") ?? options.Store.LeaseDuration;

        options.GitHub.WebhookSecrets = reader.List("GitHub", "WebhookSecrets") ?? options.GitHub.WebhookSecrets;
        options.GitHub.AppId = reader.Text("GitHub", "AppId") ?? options.GitHub.AppId;
        options.GitHub.PrivateKey = reader.Text("GitHub", "PrivateKey") ?? options.GitHub.PrivateKey;
        options.GitHub.Token = reader.Text("GitHub", "Token") ?? options.GitHub.Token;
        options.GitHub.ApiBaseUrl = reader.Text("GitHub", "ApiBaseUrl") ?? options.GitHub.ApiBaseUrl;
        options.GitHub.ReleaseBranches = reader.List("GitHub", "ReleaseBranches") ?? options.GitHub.ReleaseBranches;

        options.Sli.DefaultProvider = reader.Text("Sli", "DefaultProvider") ?? options.Sli.DefaultProvider;
        options.Operator.ApiKeys = reader.List("Operator", "ApiKeys") ?? options.Operator.ApiKeys;
        options.Operator.TrustAppServiceAuthentication = reader.Boolean("Operator", "TrustAppServiceAuthentication") ?? options.Operator.TrustAppServiceAuthentication;
        options.Operator.AppServiceAuthenticationEnabled = string.Equals(configuration["WEBSITE_AUTH_ENABLED"]?.Trim(), "True", StringComparison.OrdinalIgnoreCase);
        options.Operator.Jwt.Authority = reader.Text("Operator", "Jwt:Authority") ?? options.Operator.Jwt.Authority;
        options.Operator.Jwt.Audiences = reader.List("Operator", "Jwt:Audience") ?? options.Operator.Jwt.Audiences;
        options.Operator.GitHubLogins = reader.List("Operator", "GitHubLogins") ?? options.Operator.GitHubLogins;
        options.Operator.GitHubLoginClaim = reader.Text("Operator", "GitHubLoginClaim") ?? options.Operator.GitHubLoginClaim;
        options.Sandbox.Enabled = reader.Boolean("Sandbox", "Enabled") ?? options.Sandbox.Enabled;
    }

    private sealed class SettingReader(IConfigurationSection root, List<string> problems)
    {
        /// <summary>The value, or null when the setting is absent or empty (so the default applies).</summary>
        public string? Text(string section, string name)
        {
            var value = root.GetSection(section).GetSection(name).Value;
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        public TimeSpan? Duration(string section, string name, string example)
        {
            var value = Text(section, name);
            if (value is null)
            {
                return null;
            }

            if (ReleaseFunctions.Core.Policy.PolicyValues.ParseDuration(value) is { } duration)
            {
                return duration;
            }

            problems.Add($"{SettingKeys.Of(section, name)} is '{value}'; expected a duration such as '{example}' (units d, h, m, s, or ISO 8601 like PT1M).");
            return null;
        }

        public bool? Boolean(string section, string name)
        {
            var value = Text(section, name);
            if (value is null)
            {
                return null;
            }

            if (bool.TryParse(value, out var parsed))
            {
                return parsed;
            }

            problems.Add($"{SettingKeys.Of(section, name)} is '{value}'; expected 'true' or 'false'.");
            return null;
        }

        /// <summary>Indexed children (<c>__0</c>, <c>__1</c>, ...) in index order, or one comma-separated value.</summary>
        public IReadOnlyList<string>? List(string section, string name)
        {
            var setting = root.GetSection(section).GetSection(name);
            var children = setting.GetChildren().ToList();
            if (children.Count == 0)
            {
                var value = setting.Value;
                if (string.IsNullOrWhiteSpace(value))
                {
                    return null;
                }

                return value.Split(',').Select(item => item.Trim()).ToList();
            }

            var items = new List<(int Index, string Value)>();
            foreach (var child in children)
            {
                if (!int.TryParse(child.Key, out var index) || index < 0)
                {
                    problems.Add($"{SettingKeys.Of(section, name, child.Key)} is not a list entry; expected indexed keys {SettingKeys.Of(section, name, "0")}, {SettingKeys.Of(section, name, "1")}, ... or one comma-separated {SettingKeys.Of(section, name)}.");
                    continue;
                }

                items.Add((index, child.Value?.Trim() ?? ""));
            }

            return items.OrderBy(item => item.Index).Select(item => item.Value).ToList();
        }
    }
}
