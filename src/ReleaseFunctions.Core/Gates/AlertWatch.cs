using System.Text.RegularExpressions;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Core.Gates;

/// <summary>
/// A gate's watch on fired alerts (<c>gate.alerts</c>): at every measurement the alerts firing for the service that
/// match <see cref="Matchers"/> fail the gate at once, whatever the SLIs say. An alert that was already firing
/// before the release first moved traffic is evidence, not a verdict, unless <see cref="FailOnPreexisting"/>.
/// </summary>
public sealed partial record AlertWatch
{
    public const string Alertmanager = "alertmanager";

    public AlertWatch(string provider, IReadOnlyList<string> matchers, bool failOnPreexisting = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        ArgumentNullException.ThrowIfNull(matchers);
        if (matchers.Count == 0)
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

        Provider = provider;
        Matchers = matchers.Select(m => m.Trim()).ToArray();
        FailOnPreexisting = failOnPreexisting;
    }

    public string Provider { get; }
    public IReadOnlyList<string> Matchers { get; }
    public bool FailOnPreexisting { get; }

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

    [GeneratedRegex("""^\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*"([^"\\]|\\.)*"\s*$""")]
    private static partial Regex MatcherPattern();
}

/// <summary>What fired alerts say of a measurement: <see cref="Failing"/> fail it; <see cref="Preexisting"/> are evidence only.</summary>
public sealed record AlertJudgement(IReadOnlyList<FiredAlert> Failing, IReadOnlyList<FiredAlert> Preexisting);
