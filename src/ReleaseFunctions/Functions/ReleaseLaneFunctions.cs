using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Functions;

/// <summary>
/// The workflow's activities that call its engine, as activity functions: the Functions worker's services have no
/// <see cref="DurableTaskClient"/> for a class-based activity to take (the host binds one to functions only), so these
/// take it as <c>[DurableClient]</c>. Same names and payloads as the standalone classes, whose code they run.
/// </summary>
public sealed class ReleaseLaneFunctions
{
    [Function(RequestLaneActivity.Name)]
    public Task<string> RequestLane([ActivityTrigger] LaneEntry entry, [DurableClient] DurableTaskClient client, FunctionContext context)
        => RequestLaneActivity.SendAsync(client, entry, context.CancellationToken);

    [Function(ReadReleaseRuntimeActivity.Name)]
    public Task<string> ReadReleaseRuntime([ActivityTrigger] string instanceId, [DurableClient] DurableTaskClient client, FunctionContext context)
        => ReadReleaseRuntimeActivity.ReadAsync(client, instanceId, context.CancellationToken);
}
