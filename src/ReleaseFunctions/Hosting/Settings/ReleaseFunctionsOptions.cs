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
    /// <summary>
    /// Keys accepted by the operator API: <c>KEY</c>, <c>name:KEY</c> or <c>name:roles:KEY</c>, roles joined by
    /// <c>+</c> (<c>reader:Release.Read:KEY</c>); a key without roles holds <c>Release.Admin</c>. Each key at least 16
    /// characters.
    /// </summary>
    public IReadOnlyList<string> ApiKeys { get; set; } = [];

    /// <summary>
    /// Whether the identity App Service Authentication passes in <c>X-MS-CLIENT-PRINCIPAL</c> is trusted. Only where the
    /// platform runs it (<c>WEBSITE_AUTH_ENABLED</c> is <c>True</c>; it strips a client's own header there): anywhere else
    /// the header is whatever the caller wrote. Default false.
    /// </summary>
    public bool TrustAppServiceAuthentication { get; set; }

    /// <summary><c>WEBSITE_AUTH_ENABLED</c>, which App Service sets when its authentication runs in front of the app.</summary>
    public bool AppServiceAuthenticationEnabled { get; set; }

    public OperatorBearerTokenOptions Jwt { get; set; } = new();

    /// <summary>
    /// Who acts as which GitHub login, as <c>person=login</c> entries (the person as their sign-in names them: an
    /// Entra ID user principal name or object id, or an API key's name). An API key's name is its login when unmapped.
    /// </summary>
    public IReadOnlyList<string> GitHubLogins { get; set; } = [];

    /// <summary>A claim of the sign-in (a directory attribute such as an optional claim) that holds the person's GitHub login; none by default.</summary>
    public string? GitHubLoginClaim { get; set; }

    public bool TrustsAppServicePrincipal => TrustAppServiceAuthentication && AppServiceAuthenticationEnabled;
}

/// <summary>Bearer tokens (JWT) for automation, validated against an OpenID Connect issuer.</summary>
public sealed class OperatorBearerTokenOptions
{
    /// <summary>The issuer's address, whose <c>/.well-known/openid-configuration</c> names its keys, e.g. <c>https://login.microsoftonline.com/TENANT/v2.0</c>; none by default (no bearer tokens).</summary>
    public string? Authority { get; set; }

    /// <summary>Audiences a token must be for (the app registration's client id, <c>api://CLIENT-ID</c>).</summary>
    public IReadOnlyList<string> Audiences { get; set; } = [];

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}

public sealed class SandboxOptions
{
    /// <summary>Whether the local sandbox target and SLI source run. Default true.</summary>
    public bool Enabled { get; set; } = true;
}
