using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ReleaseFunctions.Durable.Tests.Support;
using ReleaseFunctions.Tests.Support;
using Xunit.Abstractions;

namespace ReleaseFunctions.Tests.EndToEnd;

/// <summary>
/// Two real app processes on one PostgreSQL database and one release ledger, deploying through a signed HTTP hook and
/// judging with Prometheus (both fakes on 127.0.0.1, shared by the two, as the real ones would be). One process is
/// SIGKILLed while releases are mid-rollout; the other finishes every release. Each traffic change reaches the hook
/// under one idempotency key per decision, and nothing is decided twice.
/// </summary>
public sealed class ScaleOutAppTests(ITestOutputHelper output)
{
    private const int Releases = 6;

    [Fact]
    public async Task Two_app_instances_share_releases_and_the_survivor_finishes_them_after_the_other_is_SIGKILLed()
    {
        var database = await FreshDatabaseAsync();
        var folder = Directory.CreateTempSubdirectory("releasefunctions-scale-");
        await using var fakes = await OutsideWorld.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["ReleaseFunctions__Store__Provider"] = "postgres",
            ["ReleaseFunctions__Store__PostgresConnectionString"] = database,
            ["ReleaseFunctions__Store__LeaseDuration"] = "5s",
            ["ReleaseFunctions__Store__LedgerPath"] = Path.Combine(folder.FullName, "releases.db"),
            ["ReleaseFunctions__HttpHook__Url"] = new Uri(fakes.BaseAddress, "hook").AbsoluteUri,
            ["ReleaseFunctions__HttpHook__Secret"] = "scale-out-hook-secret-0123",
            ["ReleaseFunctions__Prometheus__BaseUrl"] = fakes.BaseAddress.AbsoluteUri,
            ["ReleaseFunctions__Sli__DefaultProvider"] = "prometheus",
            ["ReleaseFunctions__DefaultPolicy__TargetProvider"] = "http-hook",
            ["ReleaseFunctions__DefaultPolicy__CanarySteps"] = "10,50",
            ["ReleaseFunctions__DefaultPolicy__Soak"] = "3s",
            ["ReleaseFunctions__DefaultPolicy__AnalysisInterval"] = "1s",
            ["ReleaseFunctions__DefaultPolicy__AnalysisCount"] = "2",
        };
        var first = await AppProcess.StartAsync("first", Directory.CreateDirectory(Path.Combine(folder.FullName, "first")).FullName, settings);
        var second = await AppProcess.StartAsync("second", Directory.CreateDirectory(Path.Combine(folder.FullName, "second")).FullName, settings);
        try
        {
            var ids = new List<string>();
            for (var i = 1; i <= Releases; i++)
            {
                ids.Add(await (i % 2 == 0 ? second : first).MergeAsync($"contoso/svc{i}", 100 + i));
            }

            // Mid-rollout: some traffic has moved, not all of it.
            await Eventually.ReturnsAsync(() => Task.FromResult(fakes.Applied.Count >= Releases ? "moved" : null), "traffic to move for the first steps", seconds: 60);
            Assert.True(fakes.Applied.Count < Releases * 3, "the releases finished before the kill; nothing was shown");
            await first.KillAsync();
            output.WriteLine($"first killed after {fakes.Applied.Count} traffic changes");

            foreach (var id in ids)
            {
                var record = (await second.FinishedAsync(id, seconds: 120)).GetProperty("release");
                Assert.True(record.GetProperty("status").GetString() == "Promoted", record.ToString());

                var trail = await second.GetJsonAsync($"/api/releases/{id}/timeline");
                Assert.True(trail.GetProperty("audit").GetProperty("isIntact").GetBoolean());
                var kinds = trail.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
                Assert.Equal(1, kinds.Count(k => k == "release-received"));
                Assert.Equal(1, kinds.Count(k => k == "promoted"));
                Assert.Equal(2, kinds.Count(k => k == "gate-verdict")); // one per step, none decided twice
            }

            // Each decision reached the hook under one key: two shifts and the promotion per release, and every
            // repeated call (an activity run again after the kill) carried a key already seen.
            var byService = fakes.Applied.Values.GroupBy(a => a.Service).ToDictionary(g => g.Key, g => g.OrderBy(a => a.Weight).Select(a => a.Weight).ToArray());
            Assert.Equal(Releases, byService.Count);
            Assert.All(byService.Values, weights => Assert.Equal([10, 50, 100], weights));
            Assert.All(Enumerable.Range(1, Releases), i => Assert.Equal(100, fakes.Weights[$"svc{i}"]));
            output.WriteLine($"{fakes.Applied.Count} decisions, {fakes.Repeats} repeated deliveries of a decision");
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            output.WriteLine(first.Log);
            output.WriteLine(second.Log);
            folder.Delete(recursive: true);
        }
    }

    private static async Task<string> FreshDatabaseAsync()
    {
        var server = await PostgresTestServer.ConnectionStringAsync();
        var name = "rf_scale_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// What the two instances share outside the database: the deployment hook (keeps each service's weight; a call
    /// is a decision, applied once per idempotency key) and Prometheus (a healthy canary and baseline).
    /// </summary>
    private sealed class OutsideWorld : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private OutsideWorld(WebApplication app) => _app = app;

        public Uri BaseAddress { get; private set; } = null!;

        public ConcurrentDictionary<string, (string Service, int Weight)> Applied { get; } = new();

        public ConcurrentDictionary<string, int> Weights { get; } = new();

        public int Repeats => _repeats;

        private int _repeats;

        public static async Task<OutsideWorld> StartAsync()
        {
            var app = WebApplication.CreateSlimBuilder().Build();
            app.Urls.Add("http://127.0.0.1:0");
            var world = new OutsideWorld(app);
            app.MapPost("/hook", world.HookAsync);
            app.MapPost("/api/v1/query_range", world.QueryRangeAsync);
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            world.BaseAddress = new Uri(address.TrimEnd('/') + "/");
            return world;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task<IResult> HookAsync(HttpRequest request)
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            var root = body.RootElement;
            var service = root.GetProperty("service").GetString()!;
            var action = root.GetProperty("action").GetString()!;
            if (!string.Equals(action, "read", StringComparison.OrdinalIgnoreCase))
            {
                var key = request.Headers["Idempotency-Key"].ToString();
                var weight = string.Equals(action, "rollback", StringComparison.OrdinalIgnoreCase) ? 0 : root.GetProperty("weight").GetInt32();
                if (Applied.TryAdd(key, (service, weight)))
                {
                    Weights[service] = weight;
                }
                else
                {
                    Interlocked.Increment(ref _repeats);
                }
            }

            return Results.Json(new { weight = Weights.GetValueOrDefault(service), liveSlot = "production" });
        }

        /// <summary>A healthy canary and baseline: 0.1% errors, 120 ms p99, a sample per step across the window.</summary>
        private async Task<IResult> QueryRangeAsync(HttpRequest request)
        {
            var form = await request.ReadFormAsync();
            var query = form["query"].ToString();
            var start = double.Parse(form["start"].ToString(), CultureInfo.InvariantCulture);
            var end = double.Parse(form["end"].ToString(), CultureInfo.InvariantCulture);
            var step = double.Parse(form["step"].ToString(), CultureInfo.InvariantCulture);
            var value = query.Contains("latency", StringComparison.Ordinal) ? "120" : "0.001";
            var values = new List<object[]>();
            for (var t = start; t <= end; t += step)
            {
                values.Add([t, value]);
            }

            object Series(string population) => new { metric = new { population }, values };
            return Results.Json(new { status = "success", data = new { resultType = "matrix", result = new[] { Series("canary"), Series("baseline") } } });
        }
    }
}
