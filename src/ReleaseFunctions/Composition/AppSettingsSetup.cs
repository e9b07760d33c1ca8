using System.Globalization;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.GitHub;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Ledger;
using ReleaseFunctions.Policy;
using ReleaseFunctions.Telemetry;

namespace ReleaseFunctions.Composition;

/// <summary>
/// Reads the app's own settings under <c>ReleaseFunctions</c> (ledger file and audit chain key, default policy, approver teams, service
/// names) the way the host reads its settings: absent or empty means the documented default, and every unreadable
/// value becomes a start-up problem naming its Functions-style key and what is expected.
/// </summary>
internal sealed partial class AppSettingsSetup(IConfiguration configuration, IHostEnvironment environment, ReleaseLedgerDefaults? ledgerDefaults = null) :
    IConfigureOptions<ReleaseLedgerOptions>, IValidateOptions<ReleaseLedgerOptions>,
    IConfigureOptions<DefaultReleasePolicyOptions>, IValidateOptions<DefaultReleasePolicyOptions>,
    IConfigureOptions<ApproverTeamsOptions>, IValidateOptions<ApproverTeamsOptions>,
    IConfigureOptions<WebhookRoutingOptions>, IValidateOptions<WebhookRoutingOptions>,
    IConfigureOptions<IntegrationEndpointsOptions>, IValidateOptions<IntegrationEndpointsOptions>,
    IConfigureOptions<PolicyFolderOptions>, IValidateOptions<PolicyFolderOptions>,
    IConfigureOptions<ReleaseTelemetryOptions>, IValidateOptions<ReleaseTelemetryOptions>
{
    private IConfigurationSection Root => configuration.GetSection(ReleaseFunctionsOptions.SectionName);

    public void Configure(ReleaseLedgerOptions options) => Read(options);

    public ValidateOptionsResult Validate(string? name, ReleaseLedgerOptions options) => Result(Read(new ReleaseLedgerOptions()));

    public void Configure(DefaultReleasePolicyOptions options) => Read(options);

    public ValidateOptionsResult Validate(string? name, DefaultReleasePolicyOptions options) => Result(Read(new DefaultReleasePolicyOptions()));

    public void Configure(ApproverTeamsOptions options) => Read(options);

    public ValidateOptionsResult Validate(string? name, ApproverTeamsOptions options) => Result(Read(new ApproverTeamsOptions()));

    public void Configure(WebhookRoutingOptions options) => Read(options);

    public ValidateOptionsResult Validate(string? name, WebhookRoutingOptions options) => Result(Read(new WebhookRoutingOptions()));

    public void Configure(IntegrationEndpointsOptions options) => Read(options);

    public ValidateOptionsResult Validate(string? name, IntegrationEndpointsOptions options) => Result(Read(new IntegrationEndpointsOptions()));

    public void Configure(PolicyFolderOptions options) => Read(options);

    public ValidateOptionsResult Validate(string? name, PolicyFolderOptions options) => Result(Read(new PolicyFolderOptions()));

    public void Configure(ReleaseTelemetryOptions options) => Read(options);

    public ValidateOptionsResult Validate(string? name, ReleaseTelemetryOptions options) => Result(Read(new ReleaseTelemetryOptions()));

    /// <summary>Reads the telemetry settings while the app is composed (which exporters exist depends on them).</summary>
    public static ReleaseTelemetryOptions ReadTelemetry(IConfiguration configuration, IHostEnvironment environment)
    {
        var options = new ReleaseTelemetryOptions();
        new AppSettingsSetup(configuration, environment).Read(options);
        return options;
    }

    /// <summary>The two standard settings, top level as the exporters spell them; a malformed one names itself at start.</summary>
    private List<string> Read(ReleaseTelemetryOptions options)
    {
        var problems = new List<string>();
        if (configuration[ReleaseTelemetryOptions.ConnectionStringSetting] is { } connection && !string.IsNullOrWhiteSpace(connection))
        {
            var parts = connection.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Split).ToList();
            var key = parts.FirstOrDefault(p => string.Equals(p?.Key, "InstrumentationKey", StringComparison.OrdinalIgnoreCase))?.Value;
            if (parts.Any(p => p is null) || !Guid.TryParse(key, out _))
            {
                problems.Add($"{ReleaseTelemetryOptions.ConnectionStringSetting} is not an Application Insights connection string; expected 'InstrumentationKey=<guid>;IngestionEndpoint=https://...' as the resource's Overview page shows it.");
            }
            else
            {
                options.ApplicationInsightsConnectionString = connection.Trim();
            }
        }

        if (configuration[ReleaseTelemetryOptions.OtlpEndpointSetting] is { } endpoint && !string.IsNullOrWhiteSpace(endpoint))
        {
            if (Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                options.OtlpEndpoint = uri;
            }
            else
            {
                problems.Add($"{ReleaseTelemetryOptions.OtlpEndpointSetting} is '{endpoint}'; expected an absolute http(s) URL of an OpenTelemetry collector such as 'http://localhost:4317'.");
            }
        }

        return problems;
    }

    /// <summary>Reads the monitoring settings while the app is composed (which sources exist depends on them).</summary>
    public static IntegrationEndpointsOptions ReadIntegrationEndpoints(IConfiguration configuration, IHostEnvironment environment)
    {
        var options = new IntegrationEndpointsOptions();
        new AppSettingsSetup(configuration, environment).Read(options);
        return options;
    }

    /// <summary>Reads the ledger's settings while the app is composed (which store is registered depends on them).</summary>
    public static ReleaseLedgerOptions ReadLedger(IConfiguration configuration, IHostEnvironment environment, ReleaseLedgerDefaults defaults)
    {
        var options = new ReleaseLedgerOptions();
        new AppSettingsSetup(configuration, environment, defaults).Read(options);
        return options;
    }

    private List<string> Read(IntegrationEndpointsOptions options)
    {
        var problems = new List<string>();
        options.PrometheusBaseUrl = BaseUrl("Prometheus", "http://prometheus:9090/", problems);
        options.AlertmanagerBaseUrl = BaseUrl("Alertmanager", "http://alertmanager:9093/", problems);

        if (Text("AzureMonitor", "WorkspaceId") is { } workspace)
        {
            if (Guid.TryParse(workspace, out _))
            {
                options.LogAnalyticsWorkspaceId = workspace;
            }
            else
            {
                problems.Add($"{SettingKeys.Of("AzureMonitor", "WorkspaceId")} is '{workspace}'; expected the Log Analytics workspace id, a GUID.");
            }
        }

        (options.HttpHookUrl, options.HttpHookSecret) = ReadSignedHook("HttpHook", "deployment hook", problems);
        if (string.Equals(Text("Migrations", "Url"), SandboxSetting, StringComparison.OrdinalIgnoreCase))
        {
            // The sandbox's hook has its own address and secret, new at every start.
            options.MigrationHookOnSandbox = true;
            if (Text("Migrations", "Secret") is not null)
            {
                problems.Add($"{SettingKeys.Of("Migrations", "Secret")} is set but {SettingKeys.Of("Migrations", "Url")} is '{SandboxSetting}', whose hook signs with its own secret; expected the secret empty, or the URL of your migration hook.");
            }

            if (!SandboxEnabled)
            {
                problems.Add($"{SettingKeys.Of("Migrations", "Url")} is '{SandboxSetting}' but {SettingKeys.Of("Sandbox", "Enabled")} is false; expected the URL of your migration hook, or the sandbox enabled.");
            }
        }
        else
        {
            (options.MigrationHookUrl, options.MigrationHookSecret) = ReadSignedHook("Migrations", "database migration hook", problems);
        }

        if (Text("AppConfiguration", "ConnectionString") is { } appConfiguration)
        {
            try
            {
                options.AppConfigurationAccessKey = Integrations.Deployment.AppConfigurationAccessKey.Parse(appConfiguration);
            }
            catch (FormatException ex)
            {
                // The value is not repeated: it holds the access key.
                problems.Add($"{SettingKeys.Of("AppConfiguration", "ConnectionString")} is not an App Configuration connection string: {ex.Message} Copy it from the store's Access settings (a read-write key).");
            }
        }

        return problems;
    }

    /// <summary>A signed hook's <c>Url</c> and <c>Secret</c> under <paramref name="section"/>: both or neither, an absolute http(s) URL and at least 16 characters.</summary>
    private (Uri? Url, string? Secret) ReadSignedHook(string section, string what, List<string> problems)
    {
        var hookUrl = Text(section, "Url");
        var hookSecret = Text(section, "Secret");
        if (hookUrl is null && hookSecret is null)
        {
            return (null, null);
        }

        if (hookUrl is null || !Uri.TryCreate(hookUrl, UriKind.Absolute, out var hook) || (hook.Scheme != Uri.UriSchemeHttp && hook.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{SettingKeys.Of(section, "Url")} is '{hookUrl}'; expected the {what}'s absolute http(s) URL, since {SettingKeys.Of(section, "Secret")} is set.");
            return (null, null);
        }

        if (hookSecret is not { Length: >= 16 })
        {
            // The secret itself is not repeated.
            problems.Add($"{SettingKeys.Of(section, "Secret")} has {hookSecret?.Length ?? 0} characters; expected a random secret of at least 16 to sign calls to {hookUrl}.");
            return (null, null);
        }

        return (hook, hookSecret);
    }

    private List<string> Read(ReleaseLedgerOptions options)
    {
        var problems = new List<string>();
        if (Text("Store", "LedgerPath") is { } path)
        {
            if (path.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            {
                problems.Add($"{SettingKeys.Of("Store", "LedgerPath")} is '{path}'; expected a file path such as '{ReleaseLedgerOptions.DefaultPath}'.");
                return problems;
            }

            options.Path = path;
        }

        options.Path = Path.GetFullPath(options.Path, environment.ContentRootPath);
        options.ChainKey = Text("Audit", "ChainKey") ?? options.ChainKey;
        if (AuditChainKeySource.Problem(options) is { } chainKey)
        {
            problems.Add(chainKey);
        }

        ReadTables(options, problems);
        return problems;
    }

    /// <summary>
    /// <c>ReleaseFunctions__Ledger__*</c>: the provider (the host's default when absent), and for Tables its endpoint
    /// (with the managed identity) or connection string, else the function app's own storage account, as the host's
    /// <c>AzureWebJobsStorage</c> names it; and the chain key every instance must share.
    /// </summary>
    private void ReadTables(ReleaseLedgerOptions options, List<string> problems)
    {
        options.Provider = ledgerDefaults?.Provider ?? ReleaseLedgerProvider.Sqlite;
        if (Text("Ledger", "Provider") is { } provider)
        {
            if (Enum.TryParse<ReleaseLedgerProvider>(provider, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
            {
                options.Provider = parsed;
            }
            else
            {
                problems.Add($"{SettingKeys.Of("Ledger", "Provider")} is '{provider}'; expected {string.Join(" or ", Enum.GetNames<ReleaseLedgerProvider>())}.");
                return;
            }
        }

        if (Text("Ledger", "TableName") is { } table)
        {
            if (TableNamePattern().IsMatch(table))
            {
                options.TableName = table;
            }
            else
            {
                problems.Add($"{SettingKeys.Of("Ledger", "TableName")} is '{table}'; expected 3 to 52 letters and digits starting with a letter, such as '{ReleaseLedgerOptions.DefaultTableName}'.");
            }
        }

        var uriText = Text("Ledger", "TableServiceUri");
        var connectionString = Text("Ledger", "TableConnectionString");
        if (uriText is not null)
        {
            if (Uri.TryCreate(uriText, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && string.IsNullOrEmpty(uri.Query))
            {
                options.TableServiceUri = uri;
            }
            else
            {
                problems.Add($"{SettingKeys.Of("Ledger", "TableServiceUri")} is '{uriText}'; expected the storage account's table endpoint, such as 'https://myaccount.table.core.windows.net/' (no SAS: the app's identity is used).");
            }
        }

        if (connectionString is not null)
        {
            options.TableConnectionString = connectionString;
        }

        if (options.Provider != ReleaseLedgerProvider.Tables)
        {
            return;
        }

        if (uriText is not null && connectionString is not null)
        {
            problems.Add($"{SettingKeys.Of("Ledger", "TableServiceUri")} and {SettingKeys.Of("Ledger", "TableConnectionString")} are both set; expected one of them.");
        }
        else if (uriText is null && connectionString is null)
        {
            // The function app's storage account: a connection string (Azurite locally), or the identity-based form.
            var host = configuration.GetSection("AzureWebJobsStorage");
            if (!string.IsNullOrWhiteSpace(host.Value))
            {
                options.TableConnectionString = host.Value.Trim();
            }
            else if (host["tableServiceUri"] is { Length: > 0 } tableServiceUri && Uri.TryCreate(tableServiceUri, UriKind.Absolute, out var hostUri))
            {
                options.TableServiceUri = hostUri;
            }
            else if (host["accountName"] is { Length: > 0 } account && StorageAccountPattern().IsMatch(account))
            {
                options.TableServiceUri = new Uri($"https://{account}.table.core.windows.net/");
            }
            else
            {
                problems.Add($"{SettingKeys.Of("Ledger", "Provider")} is Tables but no table service is named; expected {SettingKeys.Of("Ledger", "TableServiceUri")} (the storage account's table endpoint, reached with the managed identity), {SettingKeys.Of("Ledger", "TableConnectionString")} (Azurite: 'UseDevelopmentStorage=true'), or the function app's AzureWebJobsStorage.");
            }
        }

        if (options.TableConnectionString is { } given && !IsTableConnectionString(given))
        {
            // The value is not repeated: it may hold an account key.
            problems.Add($"{(connectionString is null ? "AzureWebJobsStorage" : SettingKeys.Of("Ledger", "TableConnectionString"))} is not a storage connection string; expected 'UseDevelopmentStorage=true' or 'DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...;TableEndpoint=...'.");
        }

        if (options.ChainKey is null)
        {
            problems.Add($"{SettingKeys.Of("Audit", "ChainKey")} is not set; the Tables ledger is shared by every instance, so its audit chain key must be too: expected a random secret of at least {Core.Audit.AuditChainKey.MinimumBytes} bytes (on Azure a Key Vault reference), e.g. the output of 'openssl rand -base64 48'.");
        }
    }

    private static bool IsTableConnectionString(string text)
    {
        try
        {
            _ = new Azure.Data.Tables.TableServiceClient(text);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,51}$")]
    private static partial System.Text.RegularExpressions.Regex TableNamePattern();

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9]{3,24}$")]
    private static partial System.Text.RegularExpressions.Regex StorageAccountPattern();

    private List<string> Read(PolicyFolderOptions options)
    {
        var problems = new List<string>();
        if (Text("Policies", "Folder") is { } folder)
        {
            var full = folder.IndexOfAny(Path.GetInvalidPathChars()) >= 0 ? null : PolicyFolder(folder);
            if (full is null || !Directory.Exists(full))
            {
                problems.Add($"{SettingKeys.Of("Policies", "Folder")} is '{folder}'{(full is null ? "" : $" ({full})")}, which is not an existing folder; expected a folder of policy files named 'owner/repo.yml', such as the app's '{PolicyFolderOptions.DefaultFolder}' folder.");
                return problems;
            }

            options.Folder = full;
            return problems;
        }

        options.Folder = PolicyFolder(PolicyFolderOptions.DefaultFolder);
        return problems;
    }

    /// <summary>
    /// A relative policy folder is looked for under the content root (the folder the app runs in), then beside the app's
    /// own files, where the build copies the shipped policies: <c>dotnet run --project</c> from the repository's root
    /// runs in the root, which has no policies folder of its own.
    /// </summary>
    private string PolicyFolder(string folder)
    {
        var underContentRoot = Path.GetFullPath(folder, environment.ContentRootPath);
        if (Path.IsPathRooted(folder) || Directory.Exists(underContentRoot))
        {
            return underContentRoot;
        }

        var besideApp = Path.GetFullPath(folder, AppContext.BaseDirectory);
        return Directory.Exists(besideApp) ? besideApp : underContentRoot;
    }

    private List<string> Read(DefaultReleasePolicyOptions options)
    {
        var problems = new List<string>();
        options.TargetProvider = Text("DefaultPolicy", "TargetProvider") ?? options.TargetProvider;
        options.SliProvider = Text("DefaultPolicy", "SliProvider") ?? options.SliProvider;
        options.ErrorRateQuery = Text("DefaultPolicy", "ErrorRateQuery") ?? options.ErrorRateQuery;
        options.LatencyP99Query = Text("DefaultPolicy", "LatencyP99Query") ?? options.LatencyP99Query;
        var targetParameters = Root.GetSection("DefaultPolicy").GetSection("TargetParameters").GetChildren()
            .Where(c => !string.IsNullOrWhiteSpace(c.Value))
            .ToDictionary(c => c.Key, c => c.Value!.Trim(), StringComparer.Ordinal);
        if (targetParameters.Count > 0)
        {
            options.TargetParameters = targetParameters;
        }
        if (List("DefaultPolicy", "CanarySteps") is { } steps)
        {
            var weights = new List<int>();
            foreach (var step in steps)
            {
                if (!int.TryParse(step.TrimEnd('%'), NumberStyles.None, CultureInfo.InvariantCulture, out var weight) || weight is < 1 or > 100
                    || (weights.Count > 0 && weight <= weights[^1]))
                {
                    problems.Add($"{SettingKeys.Of("DefaultPolicy", "CanarySteps")} is '{string.Join(",", steps)}'; expected increasing traffic weights from 1 to 100 such as '10,50'.");
                    weights = null;
                    break;
                }

                weights.Add(weight);
            }

            options.CanarySteps = weights ?? options.CanarySteps;
        }

        options.Soak = Duration("DefaultPolicy", "Soak", "2m", allowZero: true, problems) ?? options.Soak;
        options.ReviewDelay = Duration("DefaultPolicy", "ReviewDelay", "24h", allowZero: false, problems) ?? options.ReviewDelay;
        options.AnalysisInterval = Duration("DefaultPolicy", "AnalysisInterval", "1m", allowZero: false, problems) ?? options.AnalysisInterval;
        if (Text("DefaultPolicy", "AnalysisCount") is { } count)
        {
            if (int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var measurements) && measurements is >= 1 and <= 100)
            {
                options.AnalysisCount = measurements;
            }
            else
            {
                problems.Add($"{SettingKeys.Of("DefaultPolicy", "AnalysisCount")} is '{count}'; expected a whole number of measurements from 1 to 100 such as '3'.");
            }
        }

        if (Text("DefaultPolicy", "LatencyP99LimitMs") is { } limit)
        {
            if (double.TryParse(limit, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds is > 0 and <= 600_000)
            {
                options.LatencyP99LimitMs = milliseconds;
            }
            else
            {
                problems.Add($"{SettingKeys.Of("DefaultPolicy", "LatencyP99LimitMs")} is '{limit}'; expected milliseconds above 0 such as '500'.");
            }
        }

        return problems;
    }

    private List<string> Read(ApproverTeamsOptions options)
    {
        var problems = new List<string>();
        var teams = new Dictionary<string, IReadOnlySet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (index, entry) in Pairs("Approvers", "Teams", "'contoso/sre=alice,bob'", problems))
        {
            var (team, members) = entry;
            var logins = members.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var slash = team.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == team.Length - 1 || team.LastIndexOf('/') != slash || logins.Length == 0)
            {
                problems.Add($"{SettingKeys.Of("Approvers", "Teams", index)} is '{team}={members}'; expected a team written 'org/slug', '=', and its members' logins, e.g. 'contoso/sre=alice,bob'.");
                continue;
            }

            teams[team] = logins.ToHashSet(StringComparer.OrdinalIgnoreCase);
        }

        options.Teams = teams;
        return problems;
    }

    private List<string> Read(WebhookRoutingOptions options)
    {
        var problems = new List<string>();
        var services = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (index, (repository, service)) in Pairs("GitHub", "Services", "'octo/shop=shop-api'", problems))
        {
            var slash = repository.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == repository.Length - 1 || string.IsNullOrWhiteSpace(service))
            {
                problems.Add($"{SettingKeys.Of("GitHub", "Services", index)} is '{repository}={service}'; expected a repository 'owner/name', '=', and the service it releases, e.g. 'octo/shop=shop-api'.");
                continue;
            }

            services[repository] = service;
        }

        options.Services = services;
        return problems;
    }

    /// <summary>The absolute http(s) URL in <c>{section}__BaseUrl</c>, or null when it is absent or (with a problem) unreadable.</summary>
    private Uri? BaseUrl(string section, string example, List<string> problems)
    {
        if (Text(section, "BaseUrl") is not { } url)
        {
            return null;
        }

        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        problems.Add($"{SettingKeys.Of(section, "BaseUrl")} is '{url}'; expected an absolute http(s) URL such as '{example}'.");
        return null;
    }

    /// <summary>The value that points a setting at the local sandbox's peer instead of a URL.</summary>
    internal const string SandboxSetting = "sandbox";

    private bool SandboxEnabled => IsSandboxEnabled(Root);

    /// <summary>Whether the sandbox runs (<c>ReleaseFunctions__Sandbox__Enabled</c>, default true); a value that is not a boolean fails the start elsewhere.</summary>
    internal static bool IsSandboxEnabled(IConfigurationSection releaseFunctions)
        => !bool.TryParse(releaseFunctions.GetSection("Sandbox").GetSection("Enabled").Value?.Trim(), out var enabled) || enabled;

    private string? Text(string section, string name)
    {
        var value = Root.GetSection(section).GetSection(name).Value;
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private TimeSpan? Duration(string section, string name, string example, bool allowZero, List<string> problems)
    {
        if (Text(section, name) is not { } text)
        {
            return null;
        }

        if (PolicyValues.ParseDuration(text) is { } duration && (allowZero || duration > TimeSpan.Zero) && duration < TimeSpan.FromDays(366))
        {
            return duration;
        }

        problems.Add($"{SettingKeys.Of(section, name)} is '{text}'; expected a duration such as '{example}' (units d, h, m, s, or ISO 8601 like PT2M).");
        return null;
    }

    /// <summary>Indexed children in index order, or one comma-separated value (as the host reads lists).</summary>
    private List<string>? List(string section, string name)
    {
        var setting = Root.GetSection(section).GetSection(name);
        var children = setting.GetChildren().ToList();
        if (children.Count == 0)
        {
            return string.IsNullOrWhiteSpace(setting.Value) ? null : setting.Value.Split(',').Select(v => v.Trim()).ToList();
        }

        return children.Where(c => int.TryParse(c.Key, out _)).OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(c => c.Value?.Trim() ?? "").ToList();
    }

    /// <summary>Indexed <c>key=value</c> entries (<c>__0</c>, <c>__1</c>, ...; a value may hold commas, so no comma-separated form).</summary>
    private IEnumerable<(string Index, (string Key, string Value) Entry)> Pairs(string section, string name, string example, List<string> problems)
    {
        var setting = Root.GetSection(section).GetSection(name);
        if (!string.IsNullOrWhiteSpace(setting.Value))
        {
            // One value: entries separated by ';' (e.g. "octo/shop=shop-api; octo/web=web").
            var entries = setting.Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (var i = 0; i < entries.Length; i++)
            {
                if (Split(entries[i]) is { } pair)
                {
                    yield return (i.ToString(CultureInfo.InvariantCulture), pair);
                }
                else
                {
                    problems.Add($"{SettingKeys.Of(section, name)} entry '{entries[i]}' has no '='; expected entries such as {example}, separated by ';'.");
                }
            }

            yield break;
        }

        foreach (var child in setting.GetChildren().OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                problems.Add($"{SettingKeys.Of(section, name, child.Key)} is not a list entry; expected indexed keys {SettingKeys.Of(section, name, "0")}, {SettingKeys.Of(section, name, "1")}, ... each such as {example}.");
                continue;
            }

            if (Split(child.Value ?? "") is { } pair)
            {
                yield return (child.Key, pair);
            }
            else
            {
                problems.Add($"{SettingKeys.Of(section, name, child.Key)} is '{child.Value}'; expected an entry such as {example}.");
            }
        }
    }

    private static (string Key, string Value)? Split(string entry)
    {
        var equals = entry.IndexOf('=', StringComparison.Ordinal);
        return equals <= 0 ? null : (entry[..equals].Trim(), entry[(equals + 1)..].Trim());
    }

    private static ValidateOptionsResult Result(List<string> problems) => problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
}
