using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Durable;
using ReleaseFunctions.Durable.Storage;

namespace ReleaseFunctions.Tests.Support;

/// <summary>
/// An instance's history as the embedded backend stored it (the SDK's client has no history call of its own), and
/// what a test reads from it: activities unanswered, timers pending, events raised.
/// </summary>
internal static class EngineHistory
{
    public static Task<IReadOnlyList<HistoryEvent>> OfAsync(IServiceProvider services, string instanceId)
        => services.GetRequiredService<IOrchestrationStore>().GetHistoryAsync(instanceId, CancellationToken.None);

    /// <summary>True when every activity the instance scheduled has been answered.</summary>
    public static bool ActivitiesAnswered(IReadOnlyList<HistoryEvent> history)
    {
        var answered = history.OfType<ITaskResultEvent>().Select(e => e.TaskScheduledId).ToHashSet();
        return history.OfType<TaskScheduledEvent>().All(t => answered.Contains(t.TaskId));
    }

    /// <summary>The timers created and not fired yet, soonest first (a cancelled timer stays here until its time: the backend cannot tell it from a live one).</summary>
    public static IReadOnlyList<TimerCreatedEvent> PendingTimers(IReadOnlyList<HistoryEvent> history)
    {
        var fired = history.OfType<TimerFiredEvent>().Select(f => f.TimerId).ToHashSet();
        return history.OfType<TimerCreatedEvent>().Where(t => !fired.Contains(t.TaskId)).OrderBy(t => t.FireAt).ToList();
    }

    /// <summary>
    /// True when a timer is due and has not fired yet: the backend fires it without the clock moving (the SDK's retries
    /// create one due at once after the last attempt), so the instance is not idle yet.
    /// </summary>
    public static bool TimerDue(IReadOnlyList<HistoryEvent> history, DateTimeOffset now) => PendingTimers(history).Any(t => t.FireAt <= now);

    public static bool TimerFired(IReadOnlyList<HistoryEvent> history, int timerId) => history.OfType<TimerFiredEvent>().Any(f => f.TimerId == timerId);

    public static int EventsRaised(IReadOnlyList<HistoryEvent> history, string name) => history.OfType<EventRaisedEvent>().Count(e => e.Name == name);

    /// <summary>Lane requests (enter) the lane took, and grants received: a request that failed is retried or ends the release, and waits for no grant.</summary>
    public static (int Requested, int Granted) Lanes(IReadOnlyList<HistoryEvent> history)
    {
        var taken = history.OfType<TaskCompletedEvent>().Select(e => e.TaskScheduledId).ToHashSet();
        var requested = history.OfType<TaskScheduledEvent>().Count(t => t.Name == "RequestLane" && taken.Contains(t.TaskId) && t.Input!.Contains("\"enter\":true", StringComparison.Ordinal));
        return (requested, EventsRaised(history, "lane-granted"));
    }

    public static IReadOnlyList<TaskScheduledEvent> Scheduled(IReadOnlyList<HistoryEvent> history, string activity) => history.OfType<TaskScheduledEvent>().Where(t => t.Name == activity).ToList();
}
