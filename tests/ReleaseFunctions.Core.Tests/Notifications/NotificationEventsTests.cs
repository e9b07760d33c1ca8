using ReleaseFunctions.Core.Notifications;

namespace ReleaseFunctions.Core.Tests.Notifications;

/// <summary>Which audit trail entries are which notification event: a function of the entry's kind and evidence only.</summary>
public sealed class NotificationEventsTests
{
    [Theory]
    [InlineData("release-received", "{}", NotificationEvent.Started)]
    [InlineData("approval-requested", """{"stage":"production","step":1}""", NotificationEvent.WaitingForApproval)]
    [InlineData("decision-requested", "{}", NotificationEvent.WaitingForApproval)]
    [InlineData("gate-verdict", """{"stage":"production","result":{"status":"Fail","reason":"error_rate"}}""", NotificationEvent.GateFailed)]
    [InlineData("soak-watch", """{"alerts":{"firing":[{"name":"HighErrorRate"}],"preexisting":[]},"burnRate":null,"error":null}""", NotificationEvent.GateFailed)]
    [InlineData("soak-watch", """{"alerts":null,"burnRate":{"tripped":true,"reason":"14.4x"},"error":null}""", NotificationEvent.GateFailed)]
    [InlineData("rolled-back", "{}", NotificationEvent.RolledBack)]
    [InlineData("rollback-failed", """{"stage":"production","lastWeightRead":25}""", NotificationEvent.RollbackFailed)]
    [InlineData("promoted", """{"stages":["production"]}""", NotificationEvent.Promoted)]
    public void Entries_that_are_events(string kind, string evidence, NotificationEvent expected)
        => Assert.Equal(expected, NotificationEvents.FromTrail(kind, evidence));

    [Theory]
    [InlineData("gate-verdict", """{"result":{"status":"Pass"}}""")]
    [InlineData("gate-verdict", """{"result":{"status":"Inconclusive"}}""")]
    [InlineData("gate-verdict", "not json")]
    [InlineData("soak-watch", """{"alerts":{"firing":[],"preexisting":[{"name":"Old"}]},"burnRate":{"tripped":false},"error":"alerts: timeout"}""")]
    [InlineData("traffic-shifted", "{}")]
    [InlineData("notification-failed", """{"event":"promoted"}""")]
    [InlineData("failed", "{}")]
    public void Entries_that_are_not(string kind, string evidence)
        => Assert.Null(NotificationEvents.FromTrail(kind, evidence));

    [Fact]
    public void Every_event_has_a_policy_name_and_a_title()
    {
        Assert.Equal(["started", "waiting_for_approval", "gate_failed", "rolled_back", "rollback_failed", "promoted", "review_posted"], Enum.GetValues<NotificationEvent>().Select(NotificationEvents.Name));
        var titles = Enum.GetValues<NotificationEvent>().Select(NotificationEvents.Title).ToArray();
        Assert.Equal(titles.Length, titles.Distinct().Count());
        Assert.Equal("Waiting for approval", NotificationEvents.Title(NotificationEvent.WaitingForApproval));
    }
}
