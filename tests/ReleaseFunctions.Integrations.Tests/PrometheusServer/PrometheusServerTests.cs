using System.Diagnostics;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Integrations.Prometheus;
using Xunit.Abstractions;

namespace ReleaseFunctions.Integrations.Tests.PrometheusServer;

/// <summary>
/// <see cref="PrometheusSliSource"/> against a real Prometheus that scrapes a real endpoint: the canary fails 30% of
/// its requests, the baseline 2%.
/// </summary>
public sealed class PrometheusServerTests(PrometheusServerFixture server, ITestOutputHelper output) : IClassFixture<PrometheusServerFixture>
{
    private const string ErrorRate =
        """sum by (population) (rate(http_requests_total{code="500"}[15s])) / sum by (population) (rate(http_requests_total[15s]))""";

    private const double CanaryErrorShare = 0.3;
    private const double BaselineErrorShare = 0.02;
    private static readonly TimeSpan DataLimit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A real Prometheus stamps samples with the real time, so these tests use the real clock, and only it: the source
    /// and every window read the same <see cref="Clock"/>, and no fixture date is involved.
    /// </summary>
    private static readonly TimeProvider Clock = TimeProvider.System;

    private PrometheusSliSource Source()
        => new(server.Http, new PrometheusOptions(server.Prometheus.Address) { DefaultStep = TimeSpan.FromSeconds(1) }, Clock);

    /// <summary>Serves a batch per population before each of the next <paramref name="scrapes"/> scrapes.</summary>
    private async Task ServeAcrossScrapesAsync(int scrapes)
    {
        for (var i = 0; i < scrapes; i++)
        {
            server.Counters.Serve(SliPopulations.Canary, ok: 7, failed: 3);
            server.Counters.Serve(SliPopulations.Baseline, ok: 98, failed: 2);
            await server.Counters.NextScrapeAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>
    /// Runs the query until both populations have at least <paramref name="samples"/> samples. Prometheus ingests a
    /// scrape on its own clock, so this is a bounded wait on another process, not on a timer of ours.
    /// </summary>
    private async Task<(SliReading Reading, SliWindow Window)> QueryUntilBothPopulationsAsync(
        PrometheusSliSource source, DateTimeOffset from, string? aggregation, int samples)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var window = new SliWindow(from, Clock.GetUtcNow().AddSeconds(1));
            var reading = await source.QueryAsync(
                new SliQuery(PrometheusSliSource.ProviderName, ErrorRate, window, new Dictionary<string, string>(), TimeSpan.FromSeconds(1), aggregation, "ratio"),
                CancellationToken.None);
            if (reading.For(SliPopulations.Canary)?.Samples.Count >= samples && reading.For(SliPopulations.Baseline)?.Samples.Count >= samples)
            {
                return (reading, window);
            }

            Assert.True(waited.Elapsed < DataLimit,
                $"Prometheus had no error rates for both populations after {DataLimit.TotalSeconds} s ({server.Counters.Scrapes} scrapes; " +
                $"last reading: {reading.NoDataReason ?? string.Join(", ", reading.Series.Select(s => $"{s.Population} {s.Samples.Count} samples"))}).{Environment.NewLine}{server.Prometheus.RecentLog}");
            await Task.Delay(250);
        }
    }

    [PrometheusFact]
    public async Task A_range_query_returns_each_populations_error_rate_as_scraped()
    {
        var from = Clock.GetUtcNow().AddSeconds(-2);
        await ServeAcrossScrapesAsync(4);

        var (reading, window) = await QueryUntilBothPopulationsAsync(Source(), from, aggregation: null, samples: 2);

        var canary = reading.For(SliPopulations.Canary)!;
        var baseline = reading.For(SliPopulations.Baseline)!;
        output.WriteLine($"window {window}, {server.Counters.Scrapes} scrapes; canary {string.Join(" ", canary.Samples.Select(s => $"{s.Value:0.######}"))}; baseline {string.Join(" ", baseline.Samples.Select(s => $"{s.Value:0.######}"))}");
        Assert.True(reading.HasData);
        Assert.Equal([SliPopulations.Baseline, SliPopulations.Canary], reading.Series.Select(s => s.Population).Order());
        Assert.All(canary.Samples.Concat(baseline.Samples), s => Assert.True(window.Contains(s.Timestamp), $"{s.Timestamp:O} is outside {window}"));
        Assert.All(canary.Samples, s => Assert.Equal(CanaryErrorShare, s.Value, 6));
        Assert.All(baseline.Samples, s => Assert.Equal(BaselineErrorShare, s.Value, 6));
        Assert.True(canary.Samples.Min(s => s.Value) > baseline.Samples.Max(s => s.Value));
        Assert.Equal("ratio", canary.Unit);
        // A step-aligned range query: one sample per second.
        Assert.All(canary.Samples.Zip(canary.Samples.Skip(1)), p => Assert.Equal(TimeSpan.FromSeconds(1), p.Second.Timestamp - p.First.Timestamp));
    }

    [PrometheusFact]
    public async Task A_policy_gate_over_the_real_server_fails_the_canary_on_its_error_rate()
    {
        const string Policy = """
            version: 1
            stages:
              - name: production
                target: { provider: sandbox }
                strategy:
                  canary:
                    steps: [ { weight: 10, soak: 1m } ]
                gate:
                  provider: prometheus
                  objectives:
                    - name: error_rate
                      query: sum by (population) (rate(http_requests_total{code="500"}[15s])) / sum by (population) (rate(http_requests_total[15s]))
                      aggregation: mean
                      pass: "< 1%"
                      critical: true
                      must_have_data: true
                    - name: error_rate_vs_baseline
                      query: sum by (population) (rate(http_requests_total{code="500"}[15s])) / sum by (population) (rate(http_requests_total[15s]))
                      unit: ratio
                      pass: "<= +50%"
            """;
        var parsed = ReleasePolicyParser.Parse(Policy);
        Assert.True(parsed.Policy is not null, string.Join(Environment.NewLine, parsed.Problems));
        var gate = parsed.Policy.Stages[0].Gate!;
        var source = Source();
        var from = Clock.GetUtcNow().AddSeconds(-2);
        await ServeAcrossScrapesAsync(3);
        var (_, window) = await QueryUntilBothPopulationsAsync(source, from, aggregation: null, samples: 2);

        var readings = new Dictionary<string, SliReading>();
        foreach (var objective in gate.Objectives)
        {
            readings[objective.Name] = await source.QueryAsync(objective.ToQuery(window, new Dictionary<string, string>(), TimeSpan.FromSeconds(1)), CancellationToken.None);
        }

        var verdict = GateEvaluator.Evaluate(gate, readings);
        output.WriteLine(verdict.Reason);

        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Contains("critical objective error_rate failed", verdict.Reason);
        var absolute = verdict.Objectives.Single(o => o.Objective == "error_rate");
        var relative = verdict.Objectives.Single(o => o.Objective == "error_rate_vs_baseline");
        Assert.Equal(GateOutcome.Fail, absolute.Outcome);
        Assert.Equal(CanaryErrorShare, absolute.Observed!.Value, 6);
        Assert.StartsWith("error_rate 30% > 1%", absolute.Reason);
        Assert.Equal(GateOutcome.Fail, relative.Outcome);
        Assert.Equal(BaselineErrorShare, relative.Reference!.Value, 6);
    }
}
