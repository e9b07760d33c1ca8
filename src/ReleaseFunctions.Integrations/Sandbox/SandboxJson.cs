using System.Text.Json.Serialization;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>What a sandbox service version answers.</summary>
internal sealed record VersionAnswer(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("slot")] string Slot);

[JsonSerializable(typeof(VersionAnswer))]
internal sealed partial class SandboxJsonContext : JsonSerializerContext;
