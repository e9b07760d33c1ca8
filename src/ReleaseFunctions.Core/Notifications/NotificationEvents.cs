using System.Text.Json;

namespace ReleaseFunctions.Core.Notifications;

/// <summary>
/// The events' names as a policy writes them, and which audit trail entries are which event: a pure function of the
/// entry's kind and evidence, so the workflow decides what to send from what it recorded, the same on every replay.
/// </summary>
public static class NotificationEvents
{
    private static readonly Dictionary<string, NotificationEvent> ByName = new(StringComparer.Ordinal)
    {
        ["started"] = NotificationEvent.Started,
        ["waiting_for_approval"] = NotificationEvent.WaitingForApproval,
        ["gate_failed"] = NotificationEvent.GateFailed,
        ["rolled_back"] = NotificationEvent.RolledBack,
        ["rollback_failed"] = NotificationEvent.RollbackFailed,
        ["promoted"] = NotificationEvent.Promoted,
        ["review_posted"] = NotificationEvent.ReviewPosted,
    };

    /// <summary>Every event's policy name, in the order of the enum.</summary>
    public static IReadOnlyList<string> Names { get; } = ByName.Keys.ToArray();

    /// <summary>The policy names of the events, for a parser's choice.</summary>
    public static IReadOnlyDictionary<string, NotificationEvent> ByPolicyName => ByName;

    /// <summary>The event's policy name, e.g. <c>waiting_for_approval</c>.</summary>
    public static string Name(NotificationEvent notificationEvent) => ByName.First(p => p.Value == notificationEvent).Key;

    /// <summary>What people read as the message's headline.</summary>
    public static string Title(NotificationEvent notificationEvent) => notificationEvent switch
    {
        NotificationEvent.Started => "Release started",
        NotificationEvent.WaitingForApproval => "Waiting for approval",
        NotificationEvent.GateFailed => "Gate failed",
        NotificationEvent.RolledBack => "Rolled back",
        NotificationEvent.RollbackFailed => "ROLLBACK FAILED: action needed",
        NotificationEvent.Promoted => "Promoted",
        NotificationEvent.ReviewPosted => "Post-release review posted",
        _ => notificationEvent.ToString(),
    };

    /// <summary>
    /// The event an audit entry of the release workflow is, or null when it is none:
    /// <c>release-received</c> is started; <c>approval-requested</c> and <c>decision-requested</c> (a gate that did not
    /// pass, waiting for /promote or /rollback) are waiting_for_approval; a <c>gate-verdict</c> whose result is Fail, and
    /// a <c>soak-watch</c> that tripped (an alert firing since traffic moved, or a burn-rate window pair at its factor),
    /// are gate_failed; <c>rolled-back</c>, <c>rollback-failed</c> and <c>promoted</c> are themselves. review_posted comes
    /// from the post-release review, not from the trail.
    /// </summary>
    /// <param name="evidenceJson">The entry's evidence as recorded (camelCase JSON, enums by name).</param>
    public static NotificationEvent? FromTrail(string kind, string evidenceJson) => kind switch
    {
        "release-received" => NotificationEvent.Started,
        "approval-requested" or "decision-requested" => NotificationEvent.WaitingForApproval,
        "gate-verdict" => VerdictFailed(evidenceJson) ? NotificationEvent.GateFailed : null,
        "soak-watch" => WatchTripped(evidenceJson) ? NotificationEvent.GateFailed : null,
        "rolled-back" => NotificationEvent.RolledBack,
        "rollback-failed" => NotificationEvent.RollbackFailed,
        "promoted" => NotificationEvent.Promoted,
        _ => null,
    };

    /// <summary>Evidence <c>{ result: { status: "Fail" } }</c>.</summary>
    private static bool VerdictFailed(string evidenceJson)
        => Read(evidenceJson, root => Property(root, "result") is { ValueKind: JsonValueKind.Object } result
                                      && Property(result, "status") is { ValueKind: JsonValueKind.String } status
                                      && string.Equals(status.GetString(), "Fail", StringComparison.OrdinalIgnoreCase));

    /// <summary>Evidence <c>{ alerts: { firing: [..] }, burnRate: { tripped: true } }</c>: what made the watch trip (an error alone does not).</summary>
    private static bool WatchTripped(string evidenceJson)
        => Read(evidenceJson, root =>
            (Property(root, "alerts") is { ValueKind: JsonValueKind.Object } alerts && Property(alerts, "firing") is { ValueKind: JsonValueKind.Array } firing && firing.GetArrayLength() > 0)
            || (Property(root, "burnRate") is { ValueKind: JsonValueKind.Object } burn && Property(burn, "tripped") is { ValueKind: JsonValueKind.True }));

    private static bool Read(string json, Func<JsonElement, bool> test)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && test(document.RootElement);
        }
        catch (JsonException)
        {
            // Evidence that does not read is no event: a notification must never fail the record it follows.
            return false;
        }
    }

    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }
}
