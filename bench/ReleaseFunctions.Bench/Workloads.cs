using System.Diagnostics;
using ReleaseFunctions.Durable;

namespace ReleaseFunctions.Bench;

public sealed class SayHello : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string city, CancellationToken cancellationToken)
        => Task.FromResult($"Hello, {city}!");
}

/// <summary>W1: five activities in sequence.</summary>
public sealed class HelloCities : TaskOrchestrator<string?, string>
{
    private static readonly string[] Cities = ["Tokyo", "Seattle", "London", "Cairo", "Lima"];

    public override async Task<string> RunAsync(TaskOrchestrationContext context, string? input)
    {
        var last = string.Empty;
        foreach (var city in Cities)
        {
            last = await context.CallActivityAsync<string>(nameof(SayHello), city);
        }

        return last;
    }
}

/// <summary>W2: a release in miniature: shift, soak on a short durable timer, check, promote.</summary>
public sealed class ReleaseShaped : TaskOrchestrator<int, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, int soakMs)
    {
        await context.CallActivityAsync<string>(nameof(SayHello), "shift");
        await context.CreateTimer(TimeSpan.FromMilliseconds(soakMs));
        await context.CallActivityAsync<string>(nameof(SayHello), "check");
        return await context.CallActivityAsync<string>(nameof(SayHello), "promote");
    }
}

/// <summary>W3: one timer due at an absolute time; returns how late the episode after it started.</summary>
public sealed class DueTimer : TaskOrchestrator<DateTime, double>
{
    public override async Task<double> RunAsync(TaskOrchestrationContext context, DateTime dueAt)
    {
        await context.CreateTimer(dueAt, CancellationToken.None);
        return (context.CurrentUtcDateTime - dueAt).TotalMilliseconds;
    }
}

/// <summary>W5: waits on a timer an hour away, or on an event.</summary>
public sealed class Waiting : TaskOrchestrator<int, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, int i)
    {
        if (i % 2 == 0)
        {
            await context.CreateTimer(TimeSpan.FromHours(1));
            return "timer";
        }

        return await context.WaitForExternalEvent<string>("go");
    }
}

/// <summary>W4: N activities in sequence, to build histories of a chosen length.</summary>
public sealed class LongSequence : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            await context.CallActivityAsync<string>(nameof(SayHello), "x");
        }

        return steps;
    }
}

public static class Stats
{
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = p / 100.0 * (sorted.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static long ResidentBytes()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64;
    }
}
