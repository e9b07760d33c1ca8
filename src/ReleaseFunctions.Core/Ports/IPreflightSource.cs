using ReleaseFunctions.Core.Preflight;

namespace ReleaseFunctions.Core.Ports;

/// <summary>
/// Reads what the code host says of a merge commit before a release moves traffic: the checks reported on it and the
/// repository's open security alerts (GitHub: commit statuses, check runs, code scanning, Dependabot).
/// </summary>
public interface IPreflightSource
{
    /// <summary>
    /// Every check reported on the commit: each commit-status context (its latest state) and each check run (the
    /// latest run of each name). Throws <see cref="IntegrationException"/> when the code host failed.
    /// </summary>
    /// <param name="repository">"owner/name".</param>
    Task<IReadOnlyList<CommitCheck>> ChecksAsync(string repository, string commitSha, long? installationId, CancellationToken cancellationToken);

    /// <summary>
    /// The repository's open alerts of <paramref name="kind"/> at or above <paramref name="atLeast"/> on its default
    /// branch. Throws <see cref="IntegrationException"/> when the code host failed or the feature is off for the
    /// repository (a gate that cannot be read never passes).
    /// </summary>
    Task<IReadOnlyList<SecurityAlert>> OpenSecurityAlertsAsync(string repository, SecurityAlertKind kind, SecuritySeverity atLeast, long? installationId, CancellationToken cancellationToken);
}
