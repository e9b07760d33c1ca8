using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace ReleaseFunctions.Releases;

internal static class DurableClientExtensions
{
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
