using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Preflight;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Integrations.GitHub;
using ReleaseFunctions.Integrations.GitHub.Client;

namespace ReleaseFunctions.GitHub;

/// <summary>
/// Pre-flight reads from GitHub: the merge commit's statuses and check runs, and the repository's open code scanning
/// and Dependabot alerts. Without GitHub credentials every read fails (a gate that cannot be read never passes); it is
/// registered all the same so a policy that asks for pre-flight checks says what is missing instead of skipping them.
/// </summary>
internal sealed class GitHubPreflightSource(GitHubAccess access) : IPreflightSource
{
    public Task<IReadOnlyList<CommitCheck>> ChecksAsync(string repository, string commitSha, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commitSha);
        var name = GitHubRepositoryName.Parse(repository);
        return Client().ListCommitChecksAsync(name, commitSha, installationId, cancellationToken);
    }

    public async Task<IReadOnlyList<SecurityAlert>> OpenSecurityAlertsAsync(
        string repository, SecurityAlertKind kind, SecuritySeverity atLeast, long? installationId, CancellationToken cancellationToken)
    {
        var name = GitHubRepositoryName.Parse(repository);
        if (!Enum.IsDefined(atLeast))
        {
            throw new ArgumentOutOfRangeException(nameof(atLeast), atLeast, "A severity is Low, Medium, High or Critical.");
        }

        var github = Client();
        var alerts = kind switch
        {
            SecurityAlertKind.CodeScanning => await github.ListOpenCodeScanningAlertsAsync(name, installationId, cancellationToken).ConfigureAwait(false),
            SecurityAlertKind.Dependabot => await github.ListOpenDependabotAlertsAsync(name, installationId, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "An alert kind is CodeScanning or Dependabot."),
        };
        return alerts.Where(alert => alert.Severity >= atLeast).ToList();
    }

    private GitHubClient Client() => access.Client ?? throw new IntegrationException("GitHub", IntegrationFailureKind.Unauthorized,
        "pre-flight checks read the commit's checks and the repository's security alerts from GitHub, and no GitHub credentials are configured: "
        + $"set {Setting(nameof(GitHubOptions.AppId))} and {Setting(nameof(GitHubOptions.PrivateKey))} (a GitHub App), or {Setting(nameof(GitHubOptions.Token))}");

    private static string Setting(string name) => SettingKeys.Of(nameof(ReleaseFunctionsOptions.GitHub), name);
}
