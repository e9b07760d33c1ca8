using Grpc.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace ReleaseFunctions.Releases;

internal static class DurableClientExtensions
{
    /// <summary>
    /// Starts an orchestration under <paramref name="instanceId"/> unless an instance with that id exists (running or
    /// finished); true when this call started it. A start racing another is told apart by the backend's answer
    /// (AlreadyExists), so two deliveries of one merge never start two releases and neither fails.
    /// </summary>
    public static async Task<bool> StartOnceAsync(this DurableTaskClient client, string orchestrator, object input, string instanceId, CancellationToken cancellationToken)
    {
        if (await client.GetInstanceAsync(instanceId, cancellationToken) is not null)
        {
            return false;
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, new StartOrchestrationOptions(instanceId), cancellationToken);
            return true;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            // Some backends say "already exists" this way; anything else is still an error.
            if (await client.GetInstanceAsync(instanceId, cancellationToken) is not null)
            {
                return false;
            }

            throw;
        }
    }

    /// <summary>Every instance the query matches, page by page.</summary>
    public static async Task<List<OrchestrationMetadata>> ListAsync(this DurableTaskClient client, OrchestrationQuery query, CancellationToken cancellationToken)
    {
        var all = new List<OrchestrationMetadata>();
        await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(cancellationToken))
        {
            all.Add(instance);
        }

        return all;
    }
}
