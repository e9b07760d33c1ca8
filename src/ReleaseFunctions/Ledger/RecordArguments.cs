using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Ledger;

/// <summary>What every ledger refuses before it records: the same checks, and messages, whatever the store.</summary>
internal static class RecordArguments
{
    /// <summary>Throws unless the entry is about <paramref name="release"/> and an idempotency key is given.</summary>
    public static void Check(ReleaseRecord release, AuditEntry entry, string idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(release);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrWhiteSpace(idempotencyKey);
        if (!string.Equals(entry.Subject, release.InstanceId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"An audit entry about '{entry.Subject}' cannot be recorded on release '{release.InstanceId}'; expected the release's instance id as its subject.", nameof(entry));
        }
    }
}
