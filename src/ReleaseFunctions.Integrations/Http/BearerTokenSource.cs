using Azure.Core;
using Azure.Identity;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Integrations.Http;

/// <summary>
/// Bearer tokens for one Azure audience (scope) from a <see cref="TokenCredential"/>, reused until five minutes
/// before they expire. A credential that cannot produce a token is an <see cref="IntegrationFailureKind.Unauthorized"/> failure.
/// </summary>
internal sealed class BearerTokenSource
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly TokenCredential _credential;
    private readonly string _scope;
    private readonly TimeProvider _time;
    private readonly string _system;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AccessToken? _current;

    public BearerTokenSource(TokenCredential credential, string scope, TimeProvider time, string system)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        ArgumentNullException.ThrowIfNull(time);
        _credential = credential;
        _scope = scope;
        _time = time;
        _system = system;
    }

    /// <summary>Returns a request with a fresh bearer token in its Authorization header.</summary>
    public async ValueTask<HttpRequestMessage> AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await GetTokenAsync(cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new("Bearer", token);
        return request;
    }

    private async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } cached && cached.ExpiresOn - RefreshMargin > _time.GetUtcNow())
            {
                return cached.Token;
            }

            var token = await _credential.GetTokenAsync(new TokenRequestContext([_scope]), cancellationToken).ConfigureAwait(false);
            _current = token;
            return token.Token;
        }
        catch (Exception ex) when (ex is AuthenticationFailedException or CredentialUnavailableException)
        {
            throw new IntegrationException(_system, IntegrationFailureKind.Unauthorized,
                $"no token could be obtained for scope {_scope}: {ex.Message}", null, ex);
        }
        finally
        {
            _gate.Release();
        }
    }
}
