using Azure.Core;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>
/// Azure Container Apps revisions as a target (provider "container-apps"). Parameters: <c>resource_id</c> (the container
/// app), optional <c>candidate_revision</c> (default: the app's latest revision) and <c>stable_revision</c> (default: the
/// other revision carrying the most traffic). A change reads the app, sets <c>ingress.traffic</c> to exactly the stable and
/// candidate revisions with weights summing to 100 (labels kept), PATCHes it as a generic resource (following the
/// long-running operation) and reads it back. The app must be in multiple-revision mode; single mode is refused with how to change it.
/// </summary>
public sealed class ContainerAppsRevisionTarget : IDeploymentTarget
{
    public const string ProviderName = "container-apps";
    private const string SystemName = "Azure Container Apps";
    private const string ResourceType = "Microsoft.App/containerApps";
    private const string Example = "/subscriptions/{subscription GUID}/resourceGroups/{group}/providers/Microsoft.App/containerApps/{name}";

    private readonly ArmResourceClient _arm;
    private readonly TimeProvider _time;

    public ContainerAppsRevisionTarget(HttpClient http, AzureTargetOptions options, TokenCredential credential, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _arm = new ArmResourceClient(http, options, credential, time, SystemName, new Dictionary<string, string> { [ResourceType] = options.ContainerAppsApiVersion });
    }

    public string Provider => ProviderName;

    public async Task<TrafficState> ApplyAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shift);
        var resourceId = ArmResourceClient.ResourceId(shift.Target.Parameters, SystemName, ResourceType, Example);
        var (app, location) = await GetAsync(resourceId, cancellationToken).ConfigureAwait(false);
        var (candidate, stable) = Revisions(app, shift.Target, resourceId);
        var weight = shift.Action switch
        {
            TrafficAction.Shift => shift.CandidateWeightPercent,
            TrafficAction.Swap or TrafficAction.Promote => 100,
            TrafficAction.Rollback => 0,
            _ => throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, $"unknown traffic action {shift.Action}."),
        };

        var current = Traffic(app);
        var traffic = new[]
        {
            new TrafficWeight(stable, 100 - weight, null, LabelOf(current, stable, app)),
            new TrafficWeight(candidate, weight, null, LabelOf(current, candidate, app)),
        };
        var properties = new ContainerAppProperties(new ContainerAppConfiguration(null, new ContainerAppIngress(traffic)), null, null);
        await _arm.PatchAsync(resourceId, location, properties, DeploymentJsonContext.Default.ContainerAppProperties,
            Call(resourceId, $"set traffic {stable}={100 - weight}, {candidate}={weight}"), cancellationToken).ConfigureAwait(false);

        return State((await GetAsync(resourceId, cancellationToken).ConfigureAwait(false)).Value, shift.Target, resourceId);
    }

    public async Task<TrafficState> ReadAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shift);
        var resourceId = ArmResourceClient.ResourceId(shift.Target.Parameters, SystemName, ResourceType, Example);
        return State((await GetAsync(resourceId, cancellationToken).ConfigureAwait(false)).Value, shift.Target, resourceId);
    }

    private TrafficState State(ContainerAppResource app, TargetSpec target, string resourceId)
    {
        var (candidate, _) = Revisions(app, target, resourceId);
        var traffic = Traffic(app);
        var total = traffic.Sum(t => t.Weight ?? 0);
        if (traffic.Count > 0 && total != 100)
        {
            throw _arm.Http.Malformed(Call(resourceId, "read traffic"), $"the traffic weights sum to {total}, not 100");
        }

        var weights = traffic
            .GroupBy(t => Resolve(t, app) ?? "(unknown)")
            .Select(g => (Revision: g.Key, Weight: g.Sum(t => t.Weight ?? 0)))
            .OrderByDescending(w => w.Weight)
            .ToArray();
        var candidateWeight = weights.Where(w => w.Revision == candidate).Sum(w => w.Weight);
        return new TrafficState(candidateWeight, weights.FirstOrDefault().Revision, _time.GetUtcNow(),
            $"traffic of {resourceId}: {string.Join(", ", weights.Select(w => $"{w.Revision}={w.Weight}%"))}; candidate {candidate}");
    }

    private (string Candidate, string Stable) Revisions(ContainerAppResource app, TargetSpec target, string resourceId)
    {
        var configuration = app.Properties?.Configuration ?? throw _arm.Http.Malformed(Call(resourceId, "read app"), "properties.configuration is missing");
        if (!string.Equals(configuration.ActiveRevisionsMode, "Multiple", StringComparison.OrdinalIgnoreCase))
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                $"{resourceId} is in {configuration.ActiveRevisionsMode ?? "Single"} revision mode, where traffic cannot be split; switch it to Multiple (az containerapp revision set-mode --mode multiple).");
        }

        var candidate = target.Parameters.TryGetValue("candidate_revision", out var c) && !string.IsNullOrWhiteSpace(c)
            ? c
            : app.Properties?.LatestRevisionName ?? throw _arm.Http.Malformed(Call(resourceId, "read app"), "properties.latestRevisionName is missing and no candidate_revision was given");
        var stable = target.Parameters.TryGetValue("stable_revision", out var s) && !string.IsNullOrWhiteSpace(s)
            ? s
            : Traffic(app).Select(t => (Revision: Resolve(t, app), t.Weight))
                .Where(t => t.Revision is not null && t.Revision != candidate)
                .OrderByDescending(t => t.Weight ?? 0)
                .Select(t => t.Revision)
                .FirstOrDefault()
              ?? throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                  $"no stable revision of {resourceId} other than the candidate {candidate} carries traffic; name it with the parameter stable_revision.");
        if (candidate == stable)
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, $"the candidate and the stable revision of {resourceId} are both {candidate}.");
        }

        return (candidate, stable);
    }

    private static IReadOnlyList<TrafficWeight> Traffic(ContainerAppResource app) => app.Properties?.Configuration?.Ingress?.Traffic ?? [];

    /// <summary>An entry names its revision, or stands for the latest one.</summary>
    private static string? Resolve(TrafficWeight entry, ContainerAppResource app)
        => entry.RevisionName ?? (entry.LatestRevision == true ? app.Properties?.LatestRevisionName : null);

    private static string? LabelOf(IReadOnlyList<TrafficWeight> traffic, string revision, ContainerAppResource app)
        => traffic.FirstOrDefault(t => Resolve(t, app) == revision && t.Label is not null)?.Label;

    private Task<ArmRead<ContainerAppResource>> GetAsync(string resourceId, CancellationToken cancellationToken)
        => _arm.GetAsync(resourceId, Call(resourceId, "read app"), DeploymentJsonContext.Default.ContainerAppResource, cancellationToken);

    private static Http.IntegrationCall Call(string resourceId, string operation)
        => new(operation, resourceId, $"the Container Apps Contributor role on {resourceId}");
}
