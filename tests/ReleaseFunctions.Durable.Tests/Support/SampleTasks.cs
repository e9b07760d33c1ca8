namespace ReleaseFunctions.Durable.Tests.Support;

using System.Collections.Concurrent;
using Microsoft.DurableTask;

// Sample orchestrations and activities on the Durable Task SDK. The SDK's activity context has no idempotency key:
// an orchestrator that needs one derives it and passes it in the input, as the release workflow does.

public sealed class Greet : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input)
        => Task.FromResult($"Hello, {input}!");
}

/// <summary>A call the orchestrator keys: how often it fails before it succeeds, and its idempotency key.</summary>
public sealed record FlakyCall(int Failures, string IdempotencyKey);

/// <summary>Fails the first N deliveries of each call (by the key the orchestrator gave it), then succeeds; counts attempts.</summary>
public sealed class Flaky(FlakyState state) : TaskActivity<FlakyCall, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, FlakyCall call)
    {
        var failures = call.Failures;
        var attempt = state.Attempts.AddOrUpdate(call.IdempotencyKey, 1, (_, n) => n + 1);
        state.Keys.Add(call.IdempotencyKey);
        if (attempt <= failures)
        {
            throw new InvalidOperationException($"transient failure {attempt}");
        }

        return Task.FromResult($"ok after {attempt}");
    }
}

public sealed class FlakyState
{
    public ConcurrentDictionary<string, int> Attempts { get; } = new();
    public ConcurrentBag<string> Keys { get; } = new();
}

public sealed class SequenceOrchestrator : TaskOrchestrator<string[], List<string>>
{
    public override async Task<List<string>> RunAsync(TaskOrchestrationContext context, string[] cities)
    {
        var results = new List<string>();
        foreach (var city in cities)
        {
            results.Add(await context.CallActivityAsync<string>(nameof(Greet), city));
        }

        return results;
    }
}

public sealed class FanOutOrchestrator : TaskOrchestrator<int, string[]>
{
    public override async Task<string[]> RunAsync(TaskOrchestrationContext context, int count)
    {
        var tasks = Enumerable.Range(0, count).Select(i => context.CallActivityAsync<string>(nameof(Greet), $"city{i}"));
        return await Task.WhenAll(tasks);
    }
}

public sealed class SoakOrchestrator : TaskOrchestrator<int, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, int minutes)
    {
        var before = context.CurrentUtcDateTime;
        await context.CreateTimer(TimeSpan.FromMinutes(minutes), CancellationToken.None);
        var after = context.CurrentUtcDateTime;
        return $"{before:O}|{after:O}";
    }
}

public sealed class ApprovalOrchestrator : TaskOrchestrator<int, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, int timeoutMinutes)
    {
        try
        {
            var who = await context.WaitForExternalEvent<string>("approve", TimeSpan.FromMinutes(timeoutMinutes));
            return $"approved by {who}";
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }
}

public sealed class EventsOrchestrator : TaskOrchestrator<int, List<string>>
{
    public override async Task<List<string>> RunAsync(TaskOrchestrationContext context, int count)
    {
        var received = new List<string>();
        for (var i = 0; i < count; i++)
        {
            received.Add(await context.WaitForExternalEvent<string>("note"));
        }

        return received;
    }
}

public sealed class RetryOrchestrator : TaskOrchestrator<int, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, int failures)
    {
        var policy = new RetryPolicy(3, TimeSpan.FromSeconds(10), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1));
        try
        {
            // One key for the call, whatever the attempt: derived from the instance and the call's place in it.
            return await context.CallActivityAsync<string>(nameof(Flaky), new FlakyCall(failures, $"{context.InstanceId}/flaky/1"), TaskOptions.FromRetryPolicy(policy));
        }
        catch (TaskFailedException ex)
        {
            return $"caught: {ex.FailureDetails.ErrorMessage}";
        }
    }
}

public sealed class CounterOrchestrator : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int value)
    {
        context.SetCustomStatus(new { value });
        if (value < 3)
        {
            await context.CreateTimer(TimeSpan.FromSeconds(1), CancellationToken.None);
            context.ContinueAsNew(value + 1);
            return value;
        }

        return value;
    }
}

public sealed class StatusOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        context.SetCustomStatus(new { step = "waiting", weight = 25 });
        var go = await context.WaitForExternalEvent<string>("go");
        context.SetCustomStatus(new { step = "done", weight = 100 });
        return go;
    }
}

public sealed class ParentOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        var child = await context.CallSubOrchestratorAsync<List<string>>(nameof(SequenceOrchestrator), new[] { input, "Oslo" });
        return string.Join(";", child);
    }
}

public sealed class GuidOrchestrator : TaskOrchestrator<string?, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string? input)
    {
        var first = context.NewGuid();
        await context.CreateTimer(TimeSpan.FromSeconds(5), CancellationToken.None);
        var second = context.NewGuid();
        return $"{first}|{second}";
    }
}

/// <summary>
/// Schedules a different activity on replay when the flag flips: a code change that breaks determinism. The SDK
/// builds orchestrators without dependency injection (they must not reach services), so the flag is static.
/// </summary>
public sealed class ChangingOrchestrator : TaskOrchestrator<string?, string>
{
    public static readonly ChangeFlag Flag = new();

    public override async Task<string> RunAsync(TaskOrchestrationContext context, string? input)
    {
        if (Flag.Changed)
        {
            await context.CallActivityAsync<string>(nameof(Flaky), new FlakyCall(0, "changed"));
        }
        else
        {
            await context.CallActivityAsync<string>(nameof(Greet), "a");
        }

        await context.WaitForExternalEvent<string>("continue");
        return "done";
    }
}

public sealed class ChangeFlag
{
    public volatile bool Changed;
}

/// <summary>Counts the activities running at once; each waits until the test opens the gate.</summary>
public sealed class ConcurrencyGate
{
    private int _running;
    private int _most;

    public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Running => Volatile.Read(ref _running);

    public int Most => Volatile.Read(ref _most);

    public async Task PassAsync(CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref _running);
        for (var most = Most; now > most && Interlocked.CompareExchange(ref _most, now, most) != most; most = Most)
        {
        }

        try
        {
            await Open.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}

public sealed class Gated(ConcurrencyGate gate) : TaskActivity<int, int>
{
    public override async Task<int> RunAsync(TaskActivityContext context, int input)
    {
        await gate.PassAsync(CancellationToken.None);
        return input;
    }
}

public sealed class GatedFanOutOrchestrator : TaskOrchestrator<int, int[]>
{
    public override async Task<int[]> RunAsync(TaskOrchestrationContext context, int count)
        => await Task.WhenAll(Enumerable.Range(0, count).Select(i => context.CallActivityAsync<int>(nameof(Gated), i)));
}
