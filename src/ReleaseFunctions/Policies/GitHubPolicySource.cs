using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.GitHub;
using ReleaseFunctions.Integrations.GitHub.Client;

namespace ReleaseFunctions.Policy;

/// <summary>
/// Reads <c>.github/release-policy.yml</c> at the release's merge commit, so the policy that applies is the one that
/// was reviewed with the change. A repository without the file gets the default policy from settings.
/// </summary>
internal sealed class GitHubPolicySource(GitHubClient github, DefaultPolicyDocument defaultPolicy) : IPolicySource
{
    public async Task<PolicyDocument> ReadAsync(ReleaseId release, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(release);
        var repository = GitHubRepositoryName.Parse(release.Repository);
        var lookup = await github.GetPolicyFileAsync(repository, release.MergeCommitSha, installationId, cancellationToken).ConfigureAwait(false);
        return lookup switch
        {
            PolicyFileFound found => new PolicyDocument($"{repository}@{release.MergeCommitSha[..12]}:{found.Path}", found.Text, IsDefault: false),
            _ => defaultPolicy.Document with
            {
                Location = $"{DefaultReleasePolicy.Location} ({repository} has no {GitHubClient.PolicyFilePath} at {release.MergeCommitSha[..12]})",
            },
        };
    }
}
