using System.Text.Json;

namespace ReleaseFunctions.Durable.Serialization;

/// <summary>The one place history events and failure details become stored JSON and back.</summary>
internal static class HistorySerializer
{
    public static string Serialize(HistoryEvent e) => JsonSerializer.Serialize(e, DurableJsonContext.Default.HistoryEvent);

    public static HistoryEvent Deserialize(string json)
        => JsonSerializer.Deserialize(json, DurableJsonContext.Default.HistoryEvent)
           ?? throw new DurableStoreException($"A stored history event is empty: '{json}'.");

    public static string? Serialize(TaskFailureDetails? failure)
        => failure is null ? null : JsonSerializer.Serialize(failure, DurableJsonContext.Default.TaskFailureDetails);

    public static TaskFailureDetails? DeserializeFailure(string? json)
        => json is null ? null : JsonSerializer.Deserialize(json, DurableJsonContext.Default.TaskFailureDetails);
}
