using System.Text.Json.Serialization;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary><c>Microsoft.Web/sites/config/web</c>, the parts the App Service target reads and writes.</summary>
internal sealed record SiteConfigResource([property: JsonPropertyName("properties")] SiteConfigProperties? Properties);

internal sealed record SiteConfigProperties([property: JsonPropertyName("experiments")] SiteExperiments? Experiments);

internal sealed record SiteExperiments([property: JsonPropertyName("rampUpRules")] IReadOnlyList<RampUpRule>? RampUpRules);

/// <summary>One traffic-routing rule: <c>reroutePercentage</c> of production traffic goes to <c>actionHostName</c>.</summary>
internal sealed record RampUpRule(
    [property: JsonPropertyName("actionHostName")] string? ActionHostName,
    [property: JsonPropertyName("reroutePercentage")] double? ReroutePercentage,
    [property: JsonPropertyName("name")] string? Name);

/// <summary>A site or slot (<c>Microsoft.Web/sites</c>, <c>.../slots</c>), the parts the target reads.</summary>
internal sealed record WebSiteResource(
    [property: JsonPropertyName("properties")] WebSiteProperties? Properties,
    [property: JsonPropertyName("tags")] IReadOnlyDictionary<string, string>? Tags = null);

internal sealed record WebSiteProperties(
    [property: JsonPropertyName("defaultHostName")] string? DefaultHostName,
    [property: JsonPropertyName("slotSwapStatus")] SlotSwapStatus? SlotSwapStatus);

internal sealed record SlotSwapStatus(
    [property: JsonPropertyName("timestampUtc")] DateTimeOffset? TimestampUtc,
    [property: JsonPropertyName("sourceSlotName")] string? SourceSlotName,
    [property: JsonPropertyName("destinationSlotName")] string? DestinationSlotName);

/// <summary>The body of <c>POST .../slots/{slot}/slotsswap</c> (CsmSlotEntity).</summary>
internal sealed record SlotSwapRequest(
    [property: JsonPropertyName("targetSlot")] string TargetSlot,
    [property: JsonPropertyName("preserveVnet")] bool PreserveVnet);

/// <summary><c>Microsoft.App/containerApps</c>, the parts the Container Apps target reads and writes.</summary>
internal sealed record ContainerAppResource([property: JsonPropertyName("properties")] ContainerAppProperties? Properties);

internal sealed record ContainerAppProperties(
    [property: JsonPropertyName("configuration")] ContainerAppConfiguration? Configuration,
    [property: JsonPropertyName("latestRevisionName")] string? LatestRevisionName,
    [property: JsonPropertyName("provisioningState")] string? ProvisioningState);

internal sealed record ContainerAppConfiguration(
    [property: JsonPropertyName("activeRevisionsMode")] string? ActiveRevisionsMode,
    [property: JsonPropertyName("ingress")] ContainerAppIngress? Ingress);

internal sealed record ContainerAppIngress([property: JsonPropertyName("traffic")] IReadOnlyList<TrafficWeight>? Traffic);

/// <summary>One entry of <c>ingress.traffic</c>: a revision (by name, or the latest) and its weight.</summary>
internal sealed record TrafficWeight(
    [property: JsonPropertyName("revisionName")] string? RevisionName,
    [property: JsonPropertyName("weight")] int? Weight,
    [property: JsonPropertyName("latestRevision")] bool? LatestRevision,
    [property: JsonPropertyName("label")] string? Label);

/// <summary>What an <c>Azure-AsyncOperation</c> URL answers.</summary>
internal sealed record ArmOperationStatus(
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("error")] ArmOperationError? Error);

internal sealed record ArmOperationError(
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("message")] string? Message);

/// <summary>What the HTTP hook is sent.</summary>
internal sealed record HookRequest(
    [property: JsonPropertyName("release")] string Release,
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("stage")] string? Stage,
    [property: JsonPropertyName("step")] int? Step,
    [property: JsonPropertyName("weight")] int? Weight,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("idempotencyKey")] string IdempotencyKey);

/// <summary>What the HTTP hook may answer: the state it has now.</summary>
internal sealed record HookResponse(
    [property: JsonPropertyName("weight")] int? Weight,
    [property: JsonPropertyName("liveSlot")] string? LiveSlot);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SiteConfigResource))]
[JsonSerializable(typeof(WebSiteResource))]
[JsonSerializable(typeof(SlotSwapRequest))]
[JsonSerializable(typeof(ContainerAppResource))]
[JsonSerializable(typeof(ContainerAppProperties))]
[JsonSerializable(typeof(SiteConfigProperties))]
[JsonSerializable(typeof(ArmOperationStatus))]
[JsonSerializable(typeof(HookRequest))]
[JsonSerializable(typeof(HookResponse))]
internal sealed partial class DeploymentJsonContext : JsonSerializerContext;
