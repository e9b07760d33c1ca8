using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Core.Ports;

/// <summary>The text of the release policy that applies to a release.</summary>
/// <param name="Location">Where it was read, for messages (e.g. "octo/shop@abc123:.github/release-policy.yml", or "default policy from settings").</param>
/// <param name="Yaml">The policy's text, in the format of <c>.github/release-policy.yml</c>.</param>
/// <param name="IsDefault">True when the repository has no policy file and the default from settings applies.</param>
public sealed record PolicyDocument(string Location, string Yaml, bool IsDefault);

/// <summary>Reads <c>.github/release-policy.yml</c> at the merge commit of a release.</summary>
public interface IPolicySource
{
    Task<PolicyDocument> ReadAsync(ReleaseId release, long? installationId, CancellationToken cancellationToken);
}

/// <summary>Answers which of the given teams a person belongs to (for approvals by team).</summary>
public interface IApproverDirectory
{
    /// <param name="teams">Team names as the policy writes them ("org/team-slug").</param>
    Task<IReadOnlySet<string>> TeamsOfAsync(string login, IReadOnlyCollection<string> teams, long? installationId, CancellationToken cancellationToken);
}
