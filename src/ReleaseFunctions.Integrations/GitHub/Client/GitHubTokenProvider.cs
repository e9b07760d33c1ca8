using System.Collections.Concurrent;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// The bearer token for a call: the configured token, or, for a GitHub App, an installation token obtained with the
/// App's JWT and cached per installation until <see cref="GitHubClientOptions.TokenRefreshMargin"/> before it expires.
/// </summary>
internal sealed class GitHubTokenProvider : IDisposable
{
    private readonly GitHubClientOptions _options;
    private readonly GitHubAppJwt? _jwt;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<long, InstallationToken> _tokens = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);

    public GitHubTokenProvider(GitHubClientOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _jwt = options.UsesApp ? new GitHubAppJwt(options.AppId!.Value, options.AppPrivateKeyPem!, time) : null;
    }

    /// <summary>Null with token authentication; the App id otherwise.</summary>
    public long? AppId => _options.AppId;

    /// <summary>A token that authenticates as the App itself (only for App endpoints).</summary>
    public string AppJwt() => _jwt?.Create() ?? throw new InvalidOperationException("App JWTs exist only with GitHub App authentication.");

    public async ValueTask<string> GetAsync(long? installationId, Func<long, CancellationToken, Task<InstallationTokenBody>> requestToken, CancellationToken cancellationToken)
    {
        if (_jwt is null)
        {
            return _options.Token!;
        }

        if (installationId is not { } id)
        {
            throw new IntegrationException("GitHub", IntegrationFailureKind.Unauthorized,
                "authenticating as a GitHub App needs the installation id of the repository (from the webhook's 'installation.id'); none was given");
        }

        if (Fresh(id) is { } cached)
        {
            return cached;
        }

        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Fresh(id) is { } refreshedMeanwhile)
            {
                return refreshedMeanwhile;
            }

            var issued = await requestToken(id, cancellationToken).ConfigureAwait(false);
            _tokens[id] = new InstallationToken(issued.Token, issued.ExpiresAt);
            return issued.Token;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>Drops a cached token GitHub refused (revoked, or the installation's permissions changed).</summary>
    public void Forget(long? installationId)
    {
        if (installationId is { } id)
        {
            _tokens.TryRemove(id, out _);
        }
    }

    public void Dispose()
    {
        _jwt?.Dispose();
        _refresh.Dispose();
    }

    private string? Fresh(long installationId) =>
        _tokens.TryGetValue(installationId, out var token) && _time.GetUtcNow() < token.ExpiresAt - _options.TokenRefreshMargin
            ? token.Value
            : null;

    private sealed record InstallationToken(string Value, DateTimeOffset ExpiresAt);
}
