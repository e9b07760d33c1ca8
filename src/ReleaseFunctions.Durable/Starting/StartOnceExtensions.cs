using Grpc.Core;
using SdkClient = Microsoft.DurableTask.Client;

namespace ReleaseFunctions.Durable.Starting;

/// <summary>
/// Starting an instance id once, on any backend. The protocol leaves an id that exists to the backend: the
/// embedded one refuses it, Microsoft's in-memory one and Azure Storage may replace a finished instance. A release
/// must never run twice, so callers say what they mean: start unless the id exists, whatever its status.
/// </summary>
public static class StartOnceExtensions
{
    /// <summary>Starts <paramref name="orchestratorName"/> as <paramref name="instanceId"/> unless an instance with that id exists. Returns whether it started one.</summary>
    public static async Task<bool> StartOnceAsync(this SdkClient.DurableTaskClient client, string orchestratorName, string instanceId, object? input = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
        {
            return false;
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(orchestratorName, input, new Microsoft.DurableTask.StartOrchestrationOptions(instanceId), cancellationToken);
            return true;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
        {
            return false; // another caller started it between the look and the start
        }
        catch (InvalidOperationException)
        {
            // Some backends say "exists" this way; anything else is a real failure.
            if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
            {
                return false;
            }

            throw;
        }
    }
}
