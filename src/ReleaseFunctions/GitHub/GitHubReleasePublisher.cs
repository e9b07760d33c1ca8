using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.ReleaseNotes;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Integrations.GitHub;
using ReleaseFunctions.Integrations.GitHub.Client;

namespace ReleaseFunctions.GitHub;

/// <summary>
/// Release notes and versions on GitHub: what was merged (compare and each commit's pull requests), the latest version
/// tag, the tag on the merge commit and the GitHub release. Without GitHub credentials it says so in
/// <see cref="Unavailable"/>, and the workflow records the version it computed and why nothing was published.
/// </summary>
internal sealed class GitHubReleasePublisher(GitHubAccess access) : IReleasePublisher
{
    public string? Unavailable => access.IsConfigured
        ? null
        : "no GitHub credentials are configured: set "
          + $"{Setting(nameof(GitHubOptions.AppId))} and {Setting(nameof(GitHubOptions.PrivateKey))} (a GitHub App with 'Contents: write' and 'Pull requests: read'), or {Setting(nameof(GitHubOptions.Token))}";

    public Task<IReadOnlyList<MergedPullRequest>> MergedBetweenAsync(string repository, string baseSha, string headSha, long? installationId, CancellationToken cancellationToken)
        => Client().ListPullRequestsMergedBetweenAsync(GitHubRepositoryName.Parse(repository), baseSha, headSha, installationId, cancellationToken);

    public Task<PreviousVersion?> LatestVersionAsync(string repository, string tagPrefix, string excludingCommitSha, long? installationId, CancellationToken cancellationToken)
        => Client().FindLatestVersionTagAsync(GitHubRepositoryName.Parse(repository), tagPrefix, excludingCommitSha, installationId, cancellationToken);

    public Task<TagOutcome> TagAsync(string repository, string tag, string commitSha, long? installationId, CancellationToken cancellationToken)
        => Client().EnsureTagAsync(GitHubRepositoryName.Parse(repository), tag, commitSha, installationId, cancellationToken);

    public Task<PublishedRelease> PublishAsync(string repository, ReleasePublication publication, string idempotencyKey, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publication);
        ArgumentException.ThrowIfNullOrWhiteSpace(idempotencyKey);
        // A hidden line says which release made it: a release on the tag made by hand is told apart from ours on the page.
        var body = $"{publication.Body.TrimEnd()}\n\n<!-- release-functions: {idempotencyKey.Replace("--", "-", StringComparison.Ordinal)} -->\n";
        return Client().EnsureReleaseAsync(GitHubRepositoryName.Parse(repository), publication.Tag, publication.Name, body, publication.CommitSha, publication.Prerelease,
            installationId, cancellationToken);
    }

    private GitHubClient Client() => access.Client ?? throw new IntegrationException("GitHub", IntegrationFailureKind.Unauthorized, $"release notes and tags are read from and published on GitHub, and {Unavailable}");

    private static string Setting(string name) => SettingKeys.Of(nameof(ReleaseFunctionsOptions.GitHub), name);
}
