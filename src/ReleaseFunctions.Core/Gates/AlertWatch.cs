using System.Text.RegularExpressions;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Core.Gates;

/// <summary>
/// A gate's watch on fired alerts (<c>gate.alerts</c>): at every measurement the alerts firing for the service fail
/// the gate at once, whatever the SLIs say. For <see cref="Alertmanager"/> they are the active alerts matching every
/// label matcher in <see cref="Matchers"/>; for <see cref="AzureMonitor"/> the fired alerts of Azure Monitor on
/// <see cref="Scope"/> (a resource or resource group id) whose severity is one of <see cref="Severities"/>. An alert
/// that was already firing before the release first moved traffic is evidence, not a verdict, unless
/// <see cref="FailOnPreexisting"/>.
/// </summary>
public sealed partial record AlertWatch
{
    public const string Alertmanager = "alertmanager";
    public const string AzureMonitor = "azuremonitor";

    /// <summary>Azure Monitor's severities, most severe first.</summary>
    public static IReadOnlyList<string> AzureSeverities { get; } = ["Sev0", "Sev1", "Sev2", "Sev3", "Sev4"];

    public AlertWatch(string provider, IReadOnlyList<string> matchers, bool failOnPreexisting = false, string? scope = null, IReadOnlyList<string>? severities = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        ArgumentNullException.ThrowIfNull(matchers);
        if (string.Equals(provider, AzureMonitor, StringComparison.OrdinalIgnoreCase))
        {
            if (!IsAzureScope(scope))
            {
                throw new ArgumentException($"'{scope}' is not an Azure resource or resource group id; expected /subscriptions/ID/resourceGroups/NAME[/providers/...] (or a {{parameter}} that holds one).", nameof(scope));
            }

            var unknown = (severities ?? []).FirstOrDefault(s => !AzureSeverities.Contains(s, StringComparer.OrdinalIgnoreCase));
            if (unknown is not null)
            {
                throw new ArgumentException($"'{unknown}' is not an Azure Monitor severity; expected {string.Join(", ", AzureSeverities)}.", nameof(severities));
            }
        }
        else if (matchers.Count == 0)
        {
            throw new ArgumentException("An alert watch needs at least one matcher, or it would watch every alert of every service.", nameof(matchers));
        }

        foreach (var matcher in matchers)
        {
            if (!IsMatcher(matcher))
            {
                throw new ArgumentException($"'{matcher}' is not a label matcher; expected label=\"value\" (or !=, =~, !~).", nameof(matchers));
            }
        }

        Provider = provider.ToLowerInvariant();
        Matchers = matchers.Select(m => m.Trim()).ToArray();
        FailOnPreexisting = failOnPreexisting;
        Scope = scope?.Trim();
        Severities = severities is { Count: > 0 }
            ? AzureSeverities.Where(s => severities.Contains(s, StringComparer.OrdinalIgnoreCase)).ToArray()
            : AzureSeverities;
    }

    public string Provider { get; }
    public IReadOnlyList<string> Matchers { get; }
    public bool FailOnPreexisting { get; }

    /// <summary>Azure Monitor: the resource or resource group whose fired alerts count; may hold <c>{parameters}</c>.</summary>
    public string? Scope { get; }

    /// <summary>Azure Monitor: the severities that count (default all, Sev0 to Sev4).</summary>
    public IReadOnlyList<string> Severities { get; }

    /// <summary>Whether <paramref name="text"/> is a resource group or resource id, or a single <c>{parameter}</c> that will hold one.</summary>
    public static bool IsAzureScope(string? text) => text is not null && AzureScopePattern().IsMatch(text.Trim());

    /// <summary>Whether <paramref name="text"/> is one Alertmanager label matcher, e.g. <c>service="{service}"</c> or <c>severity=~"critical|page"</c>.</summary>
    public static bool IsMatcher(string? text) => text is not null && MatcherPattern().IsMatch(text);

    /// <summary>
    /// Splits the firing alerts into those that fail the gate and those that only go into the evidence: alerts that
    /// started before <paramref name="trafficMovedAt"/> were not caused by this release's traffic.
    /// </summary>
    public AlertJudgement Judge(IReadOnlyList<FiredAlert> firing, DateTimeOffset trafficMovedAt)
    {
        ArgumentNullException.ThrowIfNull(firing);
        var preexisting = FailOnPreexisting ? [] : firing.Where(a => a.StartsAt < trafficMovedAt).ToArray();
        return new AlertJudgement(firing.Except(preexisting).ToArray(), preexisting);
    }

    [GeneratedRegex(@"^(\{[a-z_]+\}|/subscriptions/[^/?#\s]+/resourceGroups/[^/?#\s]+(/providers/[^?#\s]+)?)$", RegexOptions.IgnoreCase)]
    private static partial Regex AzureScopePattern();

    [GeneratedRegex("""^\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*"([^"\\]|\\.)*"\s*$""")]
    private static partial Regex MatcherPattern();
}

/// <summary>What fired alerts say of a measurement: <see cref="Failing"/> fail it; <see cref="Preexisting"/> are evidence only.</summary>
public sealed record AlertJudgement(IReadOnlyList<FiredAlert> Failing, IReadOnlyList<FiredAlert> Preexisting);
