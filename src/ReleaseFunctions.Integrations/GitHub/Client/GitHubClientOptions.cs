namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// How the app talks to GitHub's REST API. Bound from configuration (section <c>GitHub</c>) and checked by
/// <see cref="Validate"/> when the client is built. Authenticate either as a GitHub App (<see cref="AppId"/> and
/// <see cref="AppPrivateKeyPem"/>, preferred) or with a plain <see cref="Token"/>, not both.
/// </summary>
public sealed class GitHubClientOptions
{
    /// <summary>The REST root. Default <c>https://api.github.com/</c>; for GitHub Enterprise Server <c>https://HOST/api/v3/</c>.</summary>
    public Uri BaseAddress { get; set; } = new("https://api.github.com/");

    /// <summary>
    /// The product sent first in <c>User-Agent</c>, which GitHub requires: a token such as "ReleaseFunctions" or
    /// "ReleaseFunctions/1.2", followed by Octokit's platform and version. Default "ReleaseFunctions".
    /// </summary>
    public string UserAgent { get; set; } = "ReleaseFunctions";

    /// <summary>A personal access or Actions token. Leave empty when authenticating as an App.</summary>
    public string? Token { get; set; }

    /// <summary>The GitHub App's numeric id (the JWT issuer; also identifies the App's own comments).</summary>
    public long? AppId { get; set; }

    /// <summary>The App's private key as PEM, PKCS#1 (<c>BEGIN RSA PRIVATE KEY</c>) or PKCS#8 (<c>BEGIN PRIVATE KEY</c>). Literal <c>\n</c> are read as newlines.</summary>
    public string? AppPrivateKeyPem { get; set; }

    /// <summary>Retries after the first attempt for 5xx, connection failures and rate limits. Default 4; 0 to 10.</summary>
    public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>First retry delay for transient failures, doubled each attempt with jitter, never more than 30 s. Default 1 s.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest the client waits for a rate limit to reset (from <c>Retry-After</c> or <c>X-RateLimit-Reset</c>).
    /// A longer wait fails at once as <c>Throttled</c> so the workflow can decide. Default 2 minutes.
    /// </summary>
    public TimeSpan MaxRateLimitWait { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>An installation token is renewed this long before its <c>expires_at</c>. Default 5 minutes; GitHub's tokens last 1 hour.</summary>
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    internal bool UsesApp => AppId is not null;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting and what is expected.</summary>
    public void Validate()
    {
        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri || BaseAddress.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException($"GitHub:BaseAddress is '{BaseAddress}'; expected an absolute http(s) URL such as https://api.github.com/.");
        }

        if (string.IsNullOrWhiteSpace(UserAgent))
        {
            throw new ArgumentException("GitHub:UserAgent is empty; GitHub refuses requests without a User-Agent.");
        }

        if (!System.Net.Http.Headers.ProductHeaderValue.TryParse(UserAgent, out _))
        {
            throw new ArgumentException($"GitHub:UserAgent is '{UserAgent}'; expected one product token such as 'ReleaseFunctions' or 'ReleaseFunctions/1.2' (Octokit adds its own details after it).");
        }

        var hasToken = !string.IsNullOrWhiteSpace(Token);
        var hasApp = AppId is not null || !string.IsNullOrWhiteSpace(AppPrivateKeyPem);
        if (hasToken == hasApp)
        {
            throw new ArgumentException("GitHub authentication: set either GitHub:AppId with GitHub:AppPrivateKeyPem (a GitHub App) or GitHub:Token, exactly one of the two.");
        }

        if (hasApp && (AppId is not > 0 || string.IsNullOrWhiteSpace(AppPrivateKeyPem)))
        {
            throw new ArgumentException("GitHub App authentication needs both GitHub:AppId (a positive number) and GitHub:AppPrivateKeyPem (the App's PEM private key).");
        }

        if (MaxRetryAttempts is < 0 or > 10)
        {
            throw new ArgumentException($"GitHub:MaxRetryAttempts is {MaxRetryAttempts}; expected 0 to 10 (default 4).");
        }

        if (RetryBaseDelay <= TimeSpan.Zero || RetryBaseDelay > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"GitHub:RetryBaseDelay is {RetryBaseDelay}; expected more than 0 and at most 1 minute (default 1 s).");
        }

        if (MaxRateLimitWait < TimeSpan.Zero || MaxRateLimitWait > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"GitHub:MaxRateLimitWait is {MaxRateLimitWait}; expected 0 to 1 hour (default 2 minutes).");
        }

        if (TokenRefreshMargin < TimeSpan.Zero || TokenRefreshMargin >= TimeSpan.FromMinutes(50))
        {
            throw new ArgumentException($"GitHub:TokenRefreshMargin is {TokenRefreshMargin}; expected 0 to 50 minutes (default 5 minutes).");
        }
    }
}
