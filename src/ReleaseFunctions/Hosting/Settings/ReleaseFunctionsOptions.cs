namespace ReleaseFunctions.Hosting.Settings;

/// <summary>
/// The app's settings, under <c>ReleaseFunctions</c>. As Functions app settings they are flat keys with <c>__</c>
/// between levels (<c>ReleaseFunctions__Store__Provider</c>); lists take indexed keys (<c>..__WebhookSecrets__0</c>)
/// or one comma-separated value. Validated at start by <see cref="ReleaseFunctionsOptionsValidator"/>.
/// </summary>
public sealed class ReleaseFunctionsOptions
{
    public const string SectionName = "ReleaseFunctions";

    public StoreOptions Store { get; set; } = new();

    public GitHubOptions GitHub { get; set; } = new();

    public SliOptions Sli { get; set; } = new();

    public OperatorOptions Operator { get; set; } = new();

    public SandboxOptions Sandbox { get; set; } = new();

    /// <summary>Values that could not be read (e.g. 'maybe' for a boolean); reported by the validator.</summary>
    internal List<string> SettingProblems { get; } = [];
}

public sealed class StoreOptions
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary><c>sqlite</c> (default) or <c>postgres</c>, case-insensitive.</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>The SQLite database file, relative to the content root when not rooted. Default <c>data/releasefunctions.db</c>.</summary>
    public string SqlitePath { get; set; } = "data/releasefunctions.db";

    /// <summary>An Npgsql connection string; required when <see cref="Provider"/> is <c>postgres</c>.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>
    /// How long a piece of work (an orchestration episode or an activity) stays leased to the app instance running it;
    /// running work renews its lease, so this is how soon another instance takes over from one that died. From 5
    /// seconds to 1 hour. Default 1 minute.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    public bool UsesPostgres => string.Equals(Provider, Postgres, StringComparison.OrdinalIgnoreCase);

    internal static bool IsValidLease(TimeSpan lease) => lease >= TimeSpan.FromSeconds(5) && lease <= TimeSpan.FromHours(1);
}

public sealed class GitHubOptions
{
    /// <summary>Secrets webhook deliveries may be signed with (several while a secret is rotated).</summary>
    public IReadOnlyList<string> WebhookSecrets { get; set; } = [];

    /// <summary>The GitHub App id (with <see cref="PrivateKey"/>); the alternative to <see cref="Token"/>.</summary>
    public string? AppId { get; set; }

    /// <summary>The GitHub App's private key, PEM.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>A token (personal access or installation token) used instead of a GitHub App.</summary>
    public string? Token { get; set; }

    /// <summary>The REST API root. Default <c>https://api.github.com</c>; GitHub Enterprise Server uses <c>https://HOST/api/v3</c>.</summary>
    public string ApiBaseUrl { get; set; } = "https://api.github.com";

    /// <summary>Branches whose merged pull requests start a release. Default <c>main</c>.</summary>
    public IReadOnlyList<string> ReleaseBranches { get; set; } = ["main"];

    public bool UsesApp => !string.IsNullOrWhiteSpace(AppId);
}

public sealed class SliOptions
{
    public const string Sandbox = "sandbox";
    public const string AzureMonitor = "azuremonitor";
    public const string Prometheus = "prometheus";

    /// <summary>The SLI source for gates that name none: <c>sandbox</c> (default), <c>azuremonitor</c> or <c>prometheus</c>.</summary>
    public string DefaultProvider { get; set; } = Sandbox;
}

public sealed class OperatorOptions
{
    /// <summary>Keys accepted by the operator API; each at least 16 characters.</summary>
    public IReadOnlyList<string> ApiKeys { get; set; } = [];
}

public sealed class SandboxOptions
{
    /// <summary>Whether the local sandbox target and SLI source run. Default true.</summary>
    public bool Enabled { get; set; } = true;
}
