using System.Text.Json;
using System.Text.Json.Serialization;
using ReleaseFunctions.Core.Dora;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Ledger;

/// <summary>How every ledger stores reviews and DORA summaries: as JSON documents (web defaults, enums as names).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ReleaseReview))]
[JsonSerializable(typeof(DoraMetrics))]
internal sealed partial class LedgerJsonContext : JsonSerializerContext;
