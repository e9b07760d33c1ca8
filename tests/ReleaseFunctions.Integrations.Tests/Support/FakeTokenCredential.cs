using Azure.Core;

namespace ReleaseFunctions.Integrations.Tests.Support;

/// <summary>Hands out a fixed token per scope and records the scopes asked for.</summary>
public sealed class FakeTokenCredential(string token = "test-token") : TokenCredential
{
    private readonly List<string> _scopes = [];

    public IReadOnlyList<string> Scopes
    {
        get { lock (_scopes) { return _scopes.ToArray(); } }
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        lock (_scopes) { _scopes.AddRange(requestContext.Scopes); }
        return new AccessToken(token, DateTimeOffset.MaxValue);
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        => ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
