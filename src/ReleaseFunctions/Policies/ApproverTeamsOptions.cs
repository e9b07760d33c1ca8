namespace ReleaseFunctions.Policy;

/// <summary>
/// Team membership for approvals when GitHub is not configured: indexed settings
/// <c>ReleaseFunctions__Approvers__Teams__0 = "contoso/sre=alice,bob"</c>, one team (<c>org/slug</c>) per entry.
/// Logins compare case-insensitively, as on GitHub.
/// </summary>
public sealed class ApproverTeamsOptions
{
    /// <summary>Members by team name (<c>org/slug</c>). Default: no teams.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Teams { get; set; } = new Dictionary<string, IReadOnlySet<string>>();
}
