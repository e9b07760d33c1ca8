using System.Globalization;
using Azure.Core;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>
/// Azure App Service deployment slots as a target (provider "app-service"). Parameters: <c>resource_id</c> (the
/// production site), <c>slot</c> (the slot holding the candidate, default "staging").
/// A shift routes that share of production traffic to the slot with a <c>rampUpRules</c> entry on the site's
/// <c>config/web</c>; a swap or promotion withdraws the routing and swaps the slot into production (a long-running
/// operation, followed to its end) and records on the site, in the tag <see cref="SwapTag"/>, which release swapped and the
/// swap's <c>slotSwapStatus.timestampUtc</c>; a rollback withdraws the routing and, when that tag shows the release's own
/// swap is still in effect, swaps back (so a rollback after a blue-green swap restores production whatever the policy's
/// parameters say, and a canary rollback never undoes an earlier release's promotion).
/// A read reports the share routed to the slot, or 100% when the release's swap is in effect, and fails when the site was
/// swapped since the release recorded its swap (then nobody can tell from here which version production serves).
/// </summary>
public sealed class AppServiceSlotTarget : IDeploymentTarget
{
    public const string ProviderName = "app-service";

    /// <summary>The site tag that records the last swap a release made: <c>{release}|{in or back}|{timestampUtc}</c>.</summary>
    public const string SwapTag = "releasefunctions-swap";

    private const string SystemName = "Azure App Service";
    private const string ResourceType = "Microsoft.Web/sites";
    private const string Example = "/subscriptions/{subscription GUID}/resourceGroups/{group}/providers/Microsoft.Web/sites/{name}";
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
        _arm = new ArmResourceClient(http, options, credential, time, SystemName, new Dictionary<string, string>
        {
            [ResourceType] = options.AppServiceApiVersion,
            [ResourceType + "/config"] = options.AppServiceApiVersion,
            [ResourceType + "/slots"] = options.AppServiceApiVersion,
        });
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
                return await ReadAsync(site, shift, cancellationToken).ConfigureAwait(false);
            case TrafficAction.Swap or TrafficAction.Promote:
                await RouteAsync(site, 0, cancellationToken).ConfigureAwait(false);
                if (!await OurSwapIsInEffectAsync(site, shift, cancellationToken).ConfigureAwait(false))
                {
                    var swapped = await SwapAsync(site, cancellationToken).ConfigureAwait(false);
                    await RecordSwapAsync(site, new SwapRecord(shift.ReleaseId, SwappedIn: true, swapped), cancellationToken).ConfigureAwait(false);
                }

                return await ReadAsync(site, shift, cancellationToken).ConfigureAwait(false);
            case TrafficAction.Rollback:
                await RouteAsync(site, 0, cancellationToken).ConfigureAwait(false);
                if (await OurSwapIsInEffectAsync(site, shift, cancellationToken).ConfigureAwait(false))
                {
                    var swappedBack = await SwapAsync(site, cancellationToken).ConfigureAwait(false);
                    await RecordSwapAsync(site, new SwapRecord(shift.ReleaseId, SwappedIn: false, swappedBack), cancellationToken).ConfigureAwait(false);
                }

                return await ReadAsync(site, shift, cancellationToken).ConfigureAwait(false);
            default:
                throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, $"unknown traffic action {shift.Action}.");
        }
    }

    public Task<TrafficState> ReadAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shift);
        return ReadAsync(Site.From(shift.Target), shift, cancellationToken);
    }

    private async Task RouteAsync(Site site, int weight, CancellationToken cancellationToken)
    {
        var (config, location) = await GetConfigAsync(site, cancellationToken).ConfigureAwait(false);
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

        await _arm.PatchAsync(site.ResourceId + "/config/web", location, new SiteConfigProperties(new SiteExperiments(others)),
            DeploymentJsonContext.Default.SiteConfigProperties, Call(site, $"route {weight}% to slot {site.Slot}"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Swaps the slot with production and returns the swap's timestamp as the site records it.</summary>
    private async Task<DateTimeOffset> SwapAsync(Site site, CancellationToken cancellationToken)
    {
        var before = (await GetSiteAsync(site, cancellationToken).ConfigureAwait(false)).Properties?.SlotSwapStatus?.TimestampUtc;
        await _arm.PostActionAsync($"{site.ResourceId}/slots/{Uri.EscapeDataString(site.Slot)}", "slotsswap", _options.AppServiceApiVersion,
            new SlotSwapRequest(ProductionSlot, PreserveVnet: true), DeploymentJsonContext.Default.SlotSwapRequest,
            Call(site, $"swap slot {site.Slot} with production", repeatable: false), cancellationToken).ConfigureAwait(false);

        var swap = (await GetSiteAsync(site, cancellationToken).ConfigureAwait(false)).Properties?.SlotSwapStatus;
        if (swap is not { TimestampUtc: { } recorded } || !SwapNamesOurSlot(swap, site) || recorded == before)
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Unavailable,
                $"the swap of slot {site.Slot} with production on {site.ResourceId} reported success, but the site's slotSwapStatus does not show a new swap of that slot; read the site before retrying.");
        }

        return recorded;
    }

    /// <summary>Whether the site's last swap is the one this release made into production (and not reversed since).</summary>
    private async Task<bool> OurSwapIsInEffectAsync(Site site, TrafficShift shift, CancellationToken cancellationToken)
    {
        var resource = await GetSiteAsync(site, cancellationToken).ConfigureAwait(false);
        return SwapOf(resource, site, shift) is { SwappedIn: true };
    }

    private Task RecordSwapAsync(Site site, SwapRecord record, CancellationToken cancellationToken)
        => _arm.MergeTagAsync(site.ResourceId, SwapTag, record.Format(), Call(site, $"record the swap in tag {SwapTag}"), cancellationToken);

    /// <summary>
    /// This release's recorded swap, when the site's last swap is that one; null when the release recorded none.
    /// Fails when the release recorded a swap but the site was swapped since: which version production serves is then unknown.
    /// </summary>
    private SwapRecord? SwapOf(WebSiteResource resource, Site site, TrafficShift shift)
    {
        if (resource.Tags?.GetValueOrDefault(SwapTag) is not { } value || SwapRecord.Parse(value) is not { } record
            || !string.Equals(record.Release, shift.ReleaseId, StringComparison.Ordinal))
        {
            return null;
        }

        var last = resource.Properties?.SlotSwapStatus?.TimestampUtc;
        return last == record.At
            ? record
            : throw new IntegrationException(SystemName, IntegrationFailureKind.Unavailable,
                $"cannot tell which version production of {site.ResourceId} serves: release {record.Release} recorded its swap {(record.SwappedIn ? "into" : "back from")} production at {record.At:O} "
                + $"(tag {SwapTag}), but the site's last swap is at {last?.ToString("O") ?? "(none)"}; someone swapped since. Check the site and swap slot {site.Slot} by hand.");
    }

    private async Task<TrafficState> ReadAsync(Site site, TrafficShift shift, CancellationToken cancellationToken)
    {
        var config = (await GetConfigAsync(site, cancellationToken).ConfigureAwait(false)).Value;
        var host = await SlotHostAsync(site, cancellationToken).ConfigureAwait(false);
        var rule = (config.Properties?.Experiments?.RampUpRules ?? []).FirstOrDefault(r => IsOurs(r, site, host));
        var percent = rule?.ReroutePercentage ?? 0;
        if (percent is < 0 or > 100)
        {
            throw _arm.Http.Malformed(Call(site, "read traffic routing"), $"reroutePercentage {percent} is not a percentage");
        }

        var routed = $"{percent.ToString(CultureInfo.InvariantCulture)}% of production traffic routed to slot {site.Slot} ({host})";
        var swap = SwapOf(await GetSiteAsync(site, cancellationToken).ConfigureAwait(false), site, shift);
        return swap switch
        {
            { SwappedIn: true } => new TrafficState(100, ProductionSlot, _time.GetUtcNow(),
                $"production serves {shift.CandidateVersion}: release {shift.ReleaseId} swapped slot {site.Slot} into production at {swap.At:O}; {routed}"),
            { SwappedIn: false } => new TrafficState((int)Math.Round(percent), ProductionSlot, _time.GetUtcNow(),
                $"swap reversed at {swap.At:O}: production serves the stable version again, {shift.CandidateVersion} is back in slot {site.Slot}; {routed}"),
            null => new TrafficState((int)Math.Round(percent), ProductionSlot, _time.GetUtcNow(), routed),
        };
    }

    private Task<ArmRead<SiteConfigResource>> GetConfigAsync(Site site, CancellationToken cancellationToken)
        => _arm.GetAsync(site.ResourceId + "/config/web", Call(site, "read config/web"), DeploymentJsonContext.Default.SiteConfigResource, cancellationToken);

    private async Task<WebSiteResource> GetSiteAsync(Site site, CancellationToken cancellationToken)
        => (await _arm.GetAsync(site.ResourceId, Call(site, "read site"), DeploymentJsonContext.Default.WebSiteResource, cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>The slot's own host name, which a routing rule must name; read from the slot, not guessed.</summary>
    private async Task<string> SlotHostAsync(Site site, CancellationToken cancellationToken)
    {
        var path = $"{site.ResourceId}/slots/{Uri.EscapeDataString(site.Slot)}";
        var call = new IntegrationCall("read slot", path, $"the Website Contributor role on {site.ResourceId}");
        var slot = (await _arm.GetAsync(path, call, DeploymentJsonContext.Default.WebSiteResource, cancellationToken).ConfigureAwait(false)).Value;
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

    /// <summary>The swap a release last made, as recorded in the site's tag <see cref="SwapTag"/>.</summary>
    private sealed record SwapRecord(string Release, bool SwappedIn, DateTimeOffset At)
    {
        public string Format() => $"{Release}|{(SwappedIn ? "in" : "back")}|{At.ToUniversalTime():O}";

        public static SwapRecord? Parse(string value)
        {
            var parts = value.Split('|');
            return parts.Length >= 3
                   && parts[^2] is "in" or "back"
                   && DateTimeOffset.TryParse(parts[^1], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
                ? new SwapRecord(string.Join('|', parts[..^2]), parts[^2] == "in", at)
                : null;
        }
    }

    private sealed record Site(string ResourceId, string Slot)
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

            return new Site(id, slot);
        }
    }
}
