using Microsoft.DurableTask;

namespace ReleaseFunctions.Bench.Sdk;

// The workloads' orchestrations (../shared/BENCHMARKS.md), as TaskOrchestrator<,>/TaskActivity<,> classes of the
// official Durable Task SDK: the same shapes and names the project's old engine ran, so recorded figures compare.

public sealed class SayHello : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult($"Hello, {input}!");
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
    public override async Task<string> RunAsync(TaskOrchestrationContext context, int input)
    {
        await context.CallActivityAsync<string>(nameof(SayHello), "shift");
        await context.CreateTimer(TimeSpan.FromMilliseconds(input), CancellationToken.None);
        await context.CallActivityAsync<string>(nameof(SayHello), "check");
        return await context.CallActivityAsync<string>(nameof(SayHello), "promote");
    }
}

/// <summary>W3: one timer due at an absolute time; returns how late (in orchestration time) the episode after it started.</summary>
public sealed class DueTimer : TaskOrchestrator<DateTime, double>
{
    public override async Task<double> RunAsync(TaskOrchestrationContext context, DateTime input)
    {
        await context.CreateTimer(input, CancellationToken.None);
        return (context.CurrentUtcDateTime - input).TotalMilliseconds;
    }
}

/// <summary>W5: waits on a timer an hour away, or on an event.</summary>
public sealed class Waiting : TaskOrchestrator<int, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, int input)
    {
        if (input % 2 == 0)
        {
            await context.CreateTimer(TimeSpan.FromHours(1), CancellationToken.None);
            return "timer";
        }

        return await context.WaitForExternalEvent<string>("go");
    }
}

/// <summary>W4: N activities in sequence, to build histories of a chosen length.</summary>
public sealed class LongSequence : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        for (var i = 0; i < input; i++)
        {
            await context.CallActivityAsync<string>(nameof(SayHello), "x");
        }

        return input;
    }
}

internal static class SdkTasks
{
    public static void Register(DurableTaskRegistry registry)
        => registry.AddOrchestrator<HelloCities>().AddOrchestrator<ReleaseShaped>().AddOrchestrator<DueTimer>()
            .AddOrchestrator<Waiting>().AddOrchestrator<LongSequence>().AddActivity<SayHello>();
}
