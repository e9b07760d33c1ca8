using System.Globalization;
using System.Text.RegularExpressions;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>
/// SLIs measured from the real requests through the sandbox router (provider "sandbox"), per population: "canary"
/// (served by the candidate) and "baseline" (served by the stable version). Queries: <c>request_rate</c>
/// (requests/s), <c>error_rate</c> (ratio of 5xx answers), <c>latency_pNN_ms</c> (e.g. <c>latency_p99_ms</c>, nearest-rank
/// percentile in milliseconds). One sample per bucket of the query's step (default <see cref="SandboxOptions.BucketInterval"/>),
/// stamped with the bucket's start; buckets not yet begun are left out, and a bucket without requests has no error or
/// latency sample.
/// </summary>
internal sealed partial class SandboxSliSource : ISliSource
{
    public const string CanaryPopulation = "canary";
    public const string BaselinePopulation = "baseline";
    private const string SystemName = "Sandbox SLIs";

    private readonly SandboxTrafficLog _log;
    private readonly TimeSpan _defaultBucket;
    private readonly TimeProvider _time;

    public SandboxSliSource(SandboxTrafficLog log, TimeSpan defaultBucket, TimeProvider time)
    {
        _log = log;
        _defaultBucket = defaultBucket;
        _time = time;
    }

    public string Provider => SandboxTarget.ProviderName;

    public Task<SliReading> QueryAsync(SliQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (measure, unit) = Measure(query.Query);
        var factor = 1.0;
        // A policy objective of unit 'number' (the default, as SliObjective.ToQuery writes it) names no unit of
        // measure, so the values stay in the unit the SLI is measured in.
        var expected = string.Equals(query.ExpectedUnit, nameof(SliUnit.Number), StringComparison.OrdinalIgnoreCase) ? null : query.ExpectedUnit;
        if (expected is not null)
        {
            factor = SliUnits.Factor(unit, expected)
                ?? throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                    $"'{query.Query}' is measured in {unit}, which cannot be converted to the expected unit '{expected}'.");
        }

        var bucket = query.Step ?? _defaultBucket;
        if (bucket < TimeSpan.FromMilliseconds(1))
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, $"the step of '{query.Query}' must be at least 1 ms; got {bucket}.");
        }

        var now = _time.GetUtcNow();
        var requests = _log.Between(query.Window.Start, query.Window.End);
        var series = new[] { CanaryPopulation, BaselinePopulation }
            .Select(population => new SliSeries(
                population,
                Buckets(query.Window, bucket, now)
                    .Select(b => (b.Start, Value: measure(requests.Where(r => r.Population == population && r.ArrivedAt >= b.Start && r.ArrivedAt < b.End).ToArray(), b.End - b.Start)))
                    .Where(s => s.Value is not null)
                    .Select(s => new SliSample(s.Start, s.Value!.Value * factor))
                    .ToArray(),
                expected ?? unit))
            .ToArray();

        return Task.FromResult(requests.Count == 0
            ? SliReading.NoData(query.Query, query.Window, $"no requests went through the sandbox router in {query.Window}")
            : SliReading.Of(query.Query, query.Window, series));
    }

    /// <summary>The buckets of the window up to now: [start, end), the last one cut at the window's end or at now.</summary>
    private static IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> Buckets(SliWindow window, TimeSpan width, DateTimeOffset now)
    {
        for (var start = window.Start; start < window.End && start < now; start += width)
        {
            var end = new[] { start + width, window.End, now }.Min();
            yield return (start, end);
        }
    }

    private static (Func<ObservedRequest[], TimeSpan, double?> Measure, string Unit) Measure(string query)
    {
        switch (query)
        {
            case "request_rate":
                return ((requests, span) => requests.Length / span.TotalSeconds, "requests/s");
            case "error_rate":
                return ((requests, _) => requests.Length == 0 ? null : requests.Count(r => r.Failed) / (double)requests.Length, "ratio");
        }

        var latency = LatencyQuery().Match(query);
        if (latency.Success)
        {
            var percentile = double.Parse(latency.Groups["p"].Value, CultureInfo.InvariantCulture);
            if (percentile is > 0 and < 100)
            {
                return ((requests, _) => Percentile(requests, percentile), "Milliseconds");
            }
        }

        throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
            $"unknown sandbox SLI '{query}'; expected request_rate, error_rate or latency_pNN_ms with 0 < NN < 100 (e.g. latency_p99_ms).");
    }

    /// <summary>The nearest-rank percentile: the smallest latency at or above which <paramref name="percentile"/> percent of requests lie.</summary>
    private static double? Percentile(ObservedRequest[] requests, double percentile)
    {
        if (requests.Length == 0)
        {
            return null;
        }

        var sorted = requests.Select(r => r.LatencyMilliseconds).Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    [GeneratedRegex(@"^latency_p(?<p>\d{1,2}(\.\d+)?)_ms$")]
    private static partial Regex LatencyQuery();
}
