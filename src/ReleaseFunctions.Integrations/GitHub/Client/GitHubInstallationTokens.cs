using System.Collections.Concurrent;
using Octokit;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// A GitHub App's installation tokens, asked for with the App's JWT through Octokit
/// (<see cref="IGitHubAppsClient.CreateInstallationToken"/>) and cached per installation until
/// <see cref="GitHubClientOptions.TokenRefreshMargin"/> before they expire, on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class GitHubInstallationTokens : IDisposable
{
    private readonly IGitHubAppsClient _apps;
    private readonly Uri _base;
    private readonly GitHubClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<long, InstallationToken> _tokens = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);

    public GitHubInstallationTokens(IGitHubAppsClient apps, Uri baseAddress, GitHubClientOptions options, TimeProvider time)
    {
        _apps = apps;
        _base = baseAddress;
        _options = options;
        _time = time;
    }

    /// <summary>A fresh token for the installation, from the cache or newly issued.</summary>
    public async Task<string> GetAsync(long installationId)
    {
        if (Fresh(installationId) is { } cached)
        {
            return cached;
        }

        var cancellationToken = GitHubHttp.CallerCancellation.Value;
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Fresh(installationId) is { } refreshedMeanwhile)
            {
                return refreshedMeanwhile;
            }

            var call = $"POST {new Uri(_base, $"app/installations/{installationId}/access_tokens").AbsolutePath}";
            AccessToken issued;
            try
            {
                issued = await _apps.CreateInstallationToken(installationId).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not IntegrationException)
            {
                throw GitHubFailures.Translate(e, call, _options, _time, cancellationToken);
            }

            if (string.IsNullOrEmpty(issued?.Token) || issued.ExpiresAt == default)
            {
                throw GitHubFailures.Malformed(call, "without the documented 'token' and 'expires_at'");
            }

            _tokens[installationId] = new InstallationToken(issued.Token, issued.ExpiresAt);
            return issued.Token;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>Drops a cached token GitHub refused (revoked, or the installation's permissions changed).</summary>
    public void Forget(long installationId) => _tokens.TryRemove(installationId, out _);

    public void Dispose() => _refresh.Dispose();

    private string? Fresh(long installationId) =>
        _tokens.TryGetValue(installationId, out var token) && _time.GetUtcNow() < token.ExpiresAt - _options.TokenRefreshMargin
            ? token.Value
            : null;

    private sealed record InstallationToken(string Value, DateTimeOffset ExpiresAt);
}

/// <summary>Authenticates as the App itself (only for App endpoints): a newly signed JWT for every request.</summary>
internal sealed class GitHubAppCredentials(GitHubAppJwt jwt) : ICredentialStore
{
    public Task<Credentials> GetCredentials() => Task.FromResult(new Credentials(jwt.Create(), AuthenticationType.Bearer));
}

/// <summary>Authenticates as one installation of the App, with its cached installation token.</summary>
internal sealed class GitHubInstallationCredentials(long installationId, GitHubInstallationTokens tokens) : ICredentialStore
{
    public async Task<Credentials> GetCredentials() => new(await tokens.GetAsync(installationId).ConfigureAwait(false), AuthenticationType.Bearer);
}
