using ReleaseFunctions.Integrations.GitHub.Client;

namespace ReleaseFunctions.GitHub;

/// <summary>The GitHub REST client when credentials are configured (a token or a GitHub App), else none.</summary>
public sealed class GitHubAccess(GitHubClient? client)
{
    public GitHubClient? Client { get; } = client;

    public bool IsConfigured => Client is not null;
}
