using System.Globalization;
using Azure.Core;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>
/// Azure App Service deployment slots as a target (provider "app-service"). Parameters: <c>resource_id</c> (the
/// production site), <c>slot</c> (the slot holding the candidate, default "staging"), optional <c>strategy</c>.
/// A shift routes that share of production traffic to the slot with a <c>rampUpRules</c> entry on the site's
/// <c>config/web</c>; a swap or promotion withdraws the routing and swaps the slot into production (a long-running
/// operation, followed to its end); a rollback withdraws the routing and, for <c>strategy: blue-green</c>, swaps back when
/// the site's last recorded swap moved this slot into production (so a blue-green workflow sends Rollback only after its
/// Swap; before it, a shift to 0 withdraws the candidate). Every change is read back.
/// </summary>
public sealed class AppServiceSlotTarget : IDeploymentTarget
{
    public const string ProviderName = "app-service";
    private const string SystemName = "Azure App Service";
    private const string ResourceType = "Microsoft.Web/sites";
    private const string Example = "/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Web/sites/{name}";
    private const string ProductionSlot = "production";

    private readonly AzureTargetOptions _options;
    private readonly ArmResourceClient _arm;
    private readonly TimeProvider _time;

    public AppServiceSlotTarget(HttpClient http, AzureTargetOptions options, TokenCredential credential, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
        _arm = new ArmResourceClient(http, options, credential, time, SystemName);
    }

    public string Provider => ProviderName;

    public async Task<TrafficState> ApplyAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shift);
        var site = Site.From(shift.Target);
        switch (shift.Action)
        {
            case TrafficAction.Shift:
                await RouteAsync(site, shift.CandidateWeightPercent, cancellationToken).ConfigureAwait(false);
                return await ReadAsync(site, cancellationToken).ConfigureAwait(false);
            case TrafficAction.Swap or TrafficAction.Promote:
                await RouteAsync(site, 0, cancellationToken).ConfigureAwait(false);
                return await SwapAsync(site, cancellationToken).ConfigureAwait(false);
            case TrafficAction.Rollback:
                await RouteAsync(site, 0, cancellationToken).ConfigureAwait(false);
                if (site.BlueGreen && await LastSwapWasOursAsync(site, cancellationToken).ConfigureAwait(false))
                {
                    var swappedBack = await SwapAsync(site, cancellationToken).ConfigureAwait(false);
                    return swappedBack with { CandidateWeightPercent = 0, Detail = "swap reversed: " + swappedBack.Detail };
                }

                return await ReadAsync(site, cancellationToken).ConfigureAwait(false);
            default:
                throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, $"unknown traffic action {shift.Action}.");
        }
    }

    public Task<TrafficState> ReadAsync(TargetSpec target, string service, CancellationToken cancellationToken)
        => ReadAsync(Site.From(target), cancellationToken);

    private async Task RouteAsync(Site site, int weight, CancellationToken cancellationToken)
    {
        var config = await GetConfigAsync(site, cancellationToken).ConfigureAwait(false);
        var host = await SlotHostAsync(site, cancellationToken).ConfigureAwait(false);
        var others = (config.Properties?.Experiments?.RampUpRules ?? []).Where(r => !IsOurs(r, site, host)).ToList();
        var current = (config.Properties?.Experiments?.RampUpRules ?? []).FirstOrDefault(r => IsOurs(r, site, host));
        if ((int)Math.Round(current?.ReroutePercentage ?? 0) == weight && (weight > 0 || current is null))
        {
            return;
        }

        if (weight > 0)
        {
            others.Add(new RampUpRule(host, weight, site.Slot));
        }

        var body = new SiteConfigResource(new SiteConfigProperties(new SiteExperiments(others)));
        await _arm.SendAsync(HttpMethod.Patch, site.ResourceId + "/config/web", _options.AppServiceApiVersion, body,
            DeploymentJsonContext.Default.SiteConfigResource, Call(site, $"route {weight}% to slot {site.Slot}"), cancellationToken).ConfigureAwait(false);
    }

    private async Task<TrafficState> SwapAsync(Site site, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        await _arm.SendAsync(HttpMethod.Post, $"{site.ResourceId}/slots/{Uri.EscapeDataString(site.Slot)}/slotsswap", _options.AppServiceApiVersion,
            new SlotSwapRequest(ProductionSlot, PreserveVnet: true), DeploymentJsonContext.Default.SlotSwapRequest,
            Call(site, $"swap slot {site.Slot} into production", repeatable: false), cancellationToken).ConfigureAwait(false);

        var swap = (await GetSiteAsync(site, cancellationToken).ConfigureAwait(false)).Properties?.SlotSwapStatus;
        if (swap is null || !SwapNamesOurSlot(swap, site))
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Unavailable,
                $"the swap of slot {site.Slot} into production on {site.ResourceId} reported success, but the site's slotSwapStatus does not show it; read the site before retrying.");
        }

        var routed = await ReadAsync(site, cancellationToken).ConfigureAwait(false);
        return new TrafficState(100, ProductionSlot, _time.GetUtcNow(),
            $"slot {site.Slot} swapped into production (requested {started:O}, recorded {swap.TimestampUtc:O}); {routed.CandidateWeightPercent}% routed to the slot");
    }

    private async Task<bool> LastSwapWasOursAsync(Site site, CancellationToken cancellationToken)
        => (await GetSiteAsync(site, cancellationToken).ConfigureAwait(false)).Properties?.SlotSwapStatus is { } swap && SwapNamesOurSlot(swap, site);

    private async Task<TrafficState> ReadAsync(Site site, CancellationToken cancellationToken)
    {
        var config = await GetConfigAsync(site, cancellationToken).ConfigureAwait(false);
        var host = await SlotHostAsync(site, cancellationToken).ConfigureAwait(false);
        var rule = (config.Properties?.Experiments?.RampUpRules ?? []).FirstOrDefault(r => IsOurs(r, site, host));
        var percent = rule?.ReroutePercentage ?? 0;
        if (percent is < 0 or > 100)
        {
            throw _arm.Http.Malformed(Call(site, "read traffic routing"), $"reroutePercentage {percent} is not a percentage");
        }

        return new TrafficState((int)Math.Round(percent), ProductionSlot, _time.GetUtcNow(),
            $"{percent.ToString(CultureInfo.InvariantCulture)}% of production traffic routed to slot {site.Slot} ({host})");
    }

    private Task<SiteConfigResource> GetConfigAsync(Site site, CancellationToken cancellationToken)
        => _arm.GetAsync(site.ResourceId + "/config/web", _options.AppServiceApiVersion, Call(site, "read config/web"),
            DeploymentJsonContext.Default.SiteConfigResource, cancellationToken);

    private Task<WebSiteResource> GetSiteAsync(Site site, CancellationToken cancellationToken)
        => _arm.GetAsync(site.ResourceId, _options.AppServiceApiVersion, Call(site, "read site"), DeploymentJsonContext.Default.WebSiteResource, cancellationToken);

    /// <summary>The slot's own host name, which a routing rule must name; read from the slot, not guessed.</summary>
    private async Task<string> SlotHostAsync(Site site, CancellationToken cancellationToken)
    {
        var path = $"{site.ResourceId}/slots/{Uri.EscapeDataString(site.Slot)}";
        var call = new IntegrationCall("read slot", path, $"the Website Contributor role on {site.ResourceId}");
        var slot = await _arm.GetAsync(path, _options.AppServiceApiVersion, call, DeploymentJsonContext.Default.WebSiteResource, cancellationToken).ConfigureAwait(false);
        return slot.Properties?.DefaultHostName is { Length: > 0 } host
            ? host
            : throw _arm.Http.Malformed(call, "the slot has no properties.defaultHostName");
    }

    private static bool IsOurs(RampUpRule rule, Site site, string host)
        => string.Equals(rule.ActionHostName, host, StringComparison.OrdinalIgnoreCase)
           || string.Equals(rule.Name, site.Slot, StringComparison.OrdinalIgnoreCase);

    private static bool SwapNamesOurSlot(SlotSwapStatus swap, Site site)
        => (string.Equals(swap.SourceSlotName, site.Slot, StringComparison.OrdinalIgnoreCase) && string.Equals(swap.DestinationSlotName, ProductionSlot, StringComparison.OrdinalIgnoreCase))
           || (string.Equals(swap.SourceSlotName, ProductionSlot, StringComparison.OrdinalIgnoreCase) && string.Equals(swap.DestinationSlotName, site.Slot, StringComparison.OrdinalIgnoreCase));

    private static IntegrationCall Call(Site site, string operation, bool repeatable = true)
        => new(operation, site.ResourceId, $"the Website Contributor role on {site.ResourceId}", repeatable);

    private sealed record Site(string ResourceId, string Slot, bool BlueGreen)
    {
        public static Site From(TargetSpec target)
        {
            ArgumentNullException.ThrowIfNull(target);
            var id = ArmResourceClient.ResourceId(target.Parameters, SystemName, ResourceType, Example);
            var slot = target.Parameters.TryGetValue("slot", out var s) && !string.IsNullOrWhiteSpace(s) ? s : "staging";
            if (string.Equals(slot, ProductionSlot, StringComparison.OrdinalIgnoreCase) || slot.Contains('/'))
            {
                throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, $"slot must name a deployment slot other than production; got '{slot}'.");
            }

            var blueGreen = target.Parameters.TryGetValue("strategy", out var strategy) && string.Equals(strategy, "blue-green", StringComparison.OrdinalIgnoreCase);
            return new Site(id, slot, blueGreen);
        }
    }
}
