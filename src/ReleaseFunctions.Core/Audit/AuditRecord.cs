namespace ReleaseFunctions.Core.Audit;

/// <summary>What is to be recorded: a state change or a decision about <see cref="Subject"/> (e.g. a release's instance id).</summary>
/// <param name="Actor">Who or what decided: a login, or a component such as "release-workflow" or "gate".</param>
/// <param name="Kind">What happened, e.g. "transition", "gate-verdict", "approval", "freeze", "error-budget".</param>
/// <param name="Reason">The one-line reason for people.</param>
/// <param name="EvidenceJson">The evidence as a JSON document ("{}" when there is none).</param>
public sealed record AuditEntry(string Subject, DateTimeOffset At, string Actor, string Kind, string Reason, string EvidenceJson);

/// <summary>
/// One record of the append-only audit trail. <see cref="Hash"/> is the HMAC-SHA256 under the chain key (lower-case
/// hex) of the record's canonical serialization, which includes <see cref="PreviousHash"/>, so each record seals all before it.
/// <see cref="EvidenceJson"/> is stored canonical (keys sorted, no insignificant white space).
/// </summary>
public sealed record AuditRecord(
    long Sequence,
    string Subject,
    DateTimeOffset At,
    string Actor,
    string Kind,
    string Reason,
    string EvidenceJson,
    string PreviousHash,
    string Hash);

/// <summary>A known head of the trail kept elsewhere (e.g. posted with the release's status), which exposes truncation and rewrites.</summary>
public sealed record AuditAnchor(long Sequence, string Hash);

/// <summary>The result of verifying a trail: intact, or the sequence number where it breaks and how.</summary>
public sealed record AuditVerification(bool IsIntact, long? BrokenAtSequence, string Reason)
{
    internal static AuditVerification Intact(int count) => new(true, null, $"{count} record(s), chain intact");

    internal static AuditVerification Broken(long sequence, string reason) => new(false, sequence, reason);
}
