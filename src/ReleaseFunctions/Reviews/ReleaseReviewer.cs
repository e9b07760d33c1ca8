using System.Globalization;
using ReleaseFunctions.Core.ErrorBudget;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Reviews;

/// <summary>
/// Writes the review of one finished release from its policy and the SLIs around it. The windows compared have
/// the length of the review delay (at most a day): before is [start − d, start), after is [end, end + d).
/// </summary>
internal sealed class ReleaseReviewer(IPolicySource policies, IEnumerable<ISliSource> sources)
{
    private static readonly TimeSpan LongestWindow = TimeSpan.FromDays(1);

    /// <summary>The review, or null when the policy's review delay has not passed yet.</summary>
    public async Task<ReleaseReview?> ReviewAsync(ReleaseRecord release, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var completedAt = release.CompletedAt ?? throw new ArgumentException($"Release {release.InstanceId} has not finished; only finished releases are reviewed.", nameof(release));
        var notes = new List<string>();
        var id = new ReleaseId(release.Repository, release.PullRequest, release.MergeCommitSha);
        var document = await policies.ReadAsync(id, release.InstallationId, cancellationToken);
        var parsed = ReleasePolicyParser.Parse(document.Yaml);
        var policy = parsed.Policy;
        var delay = policy?.ReviewDelay ?? ReleasePolicy.DefaultReviewDelay;
        if (completedAt + delay > now)
        {
            return null;
        }

        if (policy is null)
        {
            notes.Add($"the policy at {document.Location} no longer parses, so no SLIs were compared: {parsed.Describe()}");
        }

        var span = delay < LongestWindow ? delay : LongestWindow;
        var before = new SliWindow(release.StartedAt - span, release.StartedAt);
        var after = new SliWindow(completedAt, completedAt + span);
        var parameters = new Dictionary<string, string>
        {
            ["service"] = release.Service,
            ["version"] = release.Version,
            ["repository"] = release.Repository,
            ["stage"] = release.Stage ?? string.Empty,
            ["step"] = release.Step.ToString(CultureInfo.InvariantCulture),
            ["weight"] = (release.WeightPercent ?? 0).ToString(CultureInfo.InvariantCulture),
        };

        var slis = new List<SliComparison>();
        foreach (var objective in policy?.Stages[^1].Gate?.Objectives ?? [])
        {
            var source = sources.For(objective.Provider);
            if (source is null)
            {
                notes.Add($"{objective.Name}: no SLI source '{objective.Provider}' is configured");
                continue;
            }

            try
            {
                var then = Mean(await source.QueryAsync(objective.ToQuery(before, parameters), cancellationToken));
                var since = Mean(await source.QueryAsync(objective.ToQuery(after, parameters), cancellationToken));
                slis.Add(new SliComparison(objective.Name, then, since, Assess(then, since)));
            }
            catch (IntegrationException ex)
            {
                notes.Add($"{objective.Name}: {ex.Message}");
            }
        }

        ErrorBudgetBurn? burn = null;
        if (policy?.ErrorBudget is { } budget)
        {
            var source = sources.For(budget.Provider);
            try
            {
                if (source is null)
                {
                    notes.Add($"error budget: no SLI source '{budget.Provider}' is configured");
                }
                else
                {
                    var atRelease = await RemainingAsync(source, budget, release.StartedAt, parameters, cancellationToken);
                    var sinceThen = await RemainingAsync(source, budget, now, parameters, cancellationToken);
                    burn = atRelease is { } a && sinceThen is { } b ? new ErrorBudgetBurn(a, b) : null;
                }
            }
            catch (IntegrationException ex)
            {
                notes.Add($"error budget: {ex.Message}");
            }
        }

        var failure = release.RolledBack || release.Status is ReleaseStatus.Failed or ReleaseStatus.RollbackFailed;
        return new ReleaseReview(release.InstanceId, now, release.Status, release.Summary, slis, burn, completedAt - release.MergedAt, failure, notes);
    }

    private static async Task<double?> RemainingAsync(ISliSource source, ErrorBudgetPolicy budget, DateTimeOffset at, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        var window = new SliWindow(at - budget.Window, at);
        var good = Last(await source.QueryAsync(new SliQuery(source.Provider, budget.GoodEventsQuery, window, parameters), cancellationToken));
        var total = Last(await source.QueryAsync(new SliQuery(source.Provider, budget.TotalEventsQuery, window, parameters), cancellationToken));
        return good is null || total is null ? null : ErrorBudgetGate.Compute(budget, (long)good.Value, (long)total.Value).RemainingPercent;
    }

    private static double? Mean(SliReading reading)
    {
        var values = reading.Series.SelectMany(s => s.Samples).Select(s => s.Value).ToArray();
        return values.Length == 0 ? null : values.Average();
    }

    private static double? Last(SliReading reading)
        => reading.HasData ? reading.Series.Where(s => !s.IsEmpty).Sum(s => s.Samples[^1].Value) : null;

    private static string Assess(double? before, double? after) => (before, after) switch
    {
        (null, null) => "no data before or after",
        (null, _) => "no data before the release",
        (_, null) => "no data since the release",
        var (b, a) when b == 0 => a == 0 ? "unchanged" : $"from 0 to {a:G4}",
        var (b, a) => $"{(a - b) / Math.Abs(b.Value):+0.#%;-0.#%;0%} ({b:G4} → {a:G4})",
    };
}
