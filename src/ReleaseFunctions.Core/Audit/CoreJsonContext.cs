using System.Text.Json;
using System.Text.Json.Serialization;
using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.Dora;
using ReleaseFunctions.Core.ErrorBudget;
using ReleaseFunctions.Core.Freeze;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Core.Audit;

/// <summary>
/// Source-generated JSON for Core's decisions and evidence, in camelCase with enums as names: what goes into
/// <see cref="AuditEntry.EvidenceJson"/> and out through the API.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, Converters = [typeof(SliWindowJsonConverter)])]
[JsonSerializable(typeof(GateVerdict))]
[JsonSerializable(typeof(AnalysisRunResult))]
[JsonSerializable(typeof(ApprovalState))]
[JsonSerializable(typeof(FreezeStatus))]
[JsonSerializable(typeof(ErrorBudgetDecision))]
[JsonSerializable(typeof(ReleaseTransition))]
[JsonSerializable(typeof(DoraMetrics))]
public sealed partial class CoreJsonContext : JsonSerializerContext;

/// <summary>
/// Writes an <see cref="SliWindow"/> as <c>{"start": ..., "end": ...}</c> and reads it back through its constructor,
/// so its invariant (end after start) is checked on the way in.
/// </summary>
internal sealed class SliWindowJsonConverter : JsonConverter<SliWindow>
{
    public override SliWindow Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("An SLI window is an object with 'start' and 'end'.");
        }

        DateTimeOffset? start = null, end = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name?.ToLowerInvariant())
            {
                case "start": start = reader.GetDateTimeOffset(); break;
                case "end": end = reader.GetDateTimeOffset(); break;
                default: reader.Skip(); break;
            }
        }

        if (start is null || end is null || end <= start)
        {
            throw new JsonException("An SLI window needs 'start' and a later 'end'.");
        }

        return new SliWindow(start.Value, end.Value);
    }

    public override void Write(Utf8JsonWriter writer, SliWindow value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("start", value.Start);
        writer.WriteString("end", value.End);
        writer.WriteEndObject();
    }
}
