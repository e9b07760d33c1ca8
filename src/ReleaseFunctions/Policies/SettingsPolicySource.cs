using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Policy;

/// <summary>Gives every release the default policy from settings: the policy source when GitHub is not configured.</summary>
internal sealed class SettingsPolicySource(DefaultPolicyDocument defaultPolicy) : IPolicySource
{
    public Task<PolicyDocument> ReadAsync(ReleaseId release, long? installationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(release);
        return Task.FromResult(defaultPolicy.Document);
    }
}

/// <summary>The default policy, rendered once from settings.</summary>
public sealed class DefaultPolicyDocument(PolicyDocument document)
{
    public PolicyDocument Document { get; } = document ?? throw new ArgumentNullException(nameof(document));
}
