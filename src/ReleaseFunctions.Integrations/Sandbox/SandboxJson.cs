using System.Text.Json.Serialization;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>What a sandbox service version answers.</summary>
internal sealed record VersionAnswer(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("slot")] string Slot);

/// <summary>What <c>PUT /behaviour</c> accepts.</summary>
internal sealed record BehaviourRequest(
    [property: JsonPropertyName("errorRate")] double? ErrorRate,
    [property: JsonPropertyName("addedLatencyMs")] double? AddedLatencyMs);

/// <summary>The router's split and the changes already applied, kept in the sandbox's state file across restarts of the app.</summary>
internal sealed record RouterState(
    [property: JsonPropertyName("candidateWeightPercent")] int CandidateWeightPercent,
    [property: JsonPropertyName("liveSlot")] string LiveSlot,
    [property: JsonPropertyName("appliedKeys")] IReadOnlyList<string> AppliedKeys);

[JsonSerializable(typeof(RouterState))]
[JsonSerializable(typeof(VersionAnswer))]
[JsonSerializable(typeof(BehaviourRequest))]
internal sealed partial class SandboxJsonContext : JsonSerializerContext;
