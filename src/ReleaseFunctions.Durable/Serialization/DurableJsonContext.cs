using System.Text.Json;
using System.Text.Json.Serialization;

namespace ReleaseFunctions.Durable.Serialization;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HistoryEvent))]
[JsonSerializable(typeof(TaskFailureDetails))]
internal sealed partial class DurableJsonContext : JsonSerializerContext;
