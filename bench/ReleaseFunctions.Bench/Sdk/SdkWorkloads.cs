using Microsoft.DurableTask;

namespace ReleaseFunctions.Bench.Sdk;

// W1 and W2 for the official Durable Task SDK worker: the same shapes and names as the project's engine runs
// (ReleaseFunctions.Bench.HelloCities and friends), as TaskOrchestrator<,>/TaskActivity<,> classes of the SDK.

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

internal static class SdkTasks
{
    public static void Register(DurableTaskRegistry registry)
        => registry.AddOrchestrator<HelloCities>().AddOrchestrator<ReleaseShaped>().AddActivity<SayHello>();
}
