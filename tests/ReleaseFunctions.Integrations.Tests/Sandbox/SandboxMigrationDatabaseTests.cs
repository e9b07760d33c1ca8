using System.Net;
using System.Text;
using ReleaseFunctions.Core.Migrations;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Http;
using ReleaseFunctions.Integrations.Sandbox;
using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.Sandbox;

/// <summary>The sandbox's database over real HTTP, through the signed migration hook the workflow uses on Azure.</summary>
public sealed class SandboxMigrationDatabaseTests : IDisposable
{
    private static readonly DateTimeOffset Start = TestClock.At(2026, 11, 30, 9, 0, 0);
    private static readonly SandboxOptions Quiet = new() { LoadRatePerSecond = 0, RandomSeed = 3 };
    private readonly string _directory = Directory.CreateTempSubdirectory("sandbox-migrations-").FullName;

    private static MigrationRequest Expand(string release = "release-1", string key = "release-1:expand")
        => new(release, "sandbox-service", "1.1.0", MigrationPhase.Expand, "2026-12-orders-add-currency", key);

    [Fact]
    public async Task A_run_is_running_for_its_duration_then_applied_and_read_back()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, clock);

        var started = await sandbox.Migrations.StartAsync(Expand(), CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(19));
        var stillRunning = await sandbox.Migrations.ReadAsync(Expand(), CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(1));
        var applied = await sandbox.Migrations.ReadAsync(Expand(), CancellationToken.None);

        Assert.Equal((MigrationState.Running, MigrationState.Running, MigrationState.Applied), (started.State, stillRunning.State, applied.State));
        Assert.Equal("expand migration 2026-12-orders-add-currency applied at 2026-11-30T09:00:20Z for release release-1 of sandbox-service 1.1.0", applied.Detail);
        var row = Assert.Single(sandbox.MigrationHistory());
        Assert.Equal(("expand", "applied", "release-1", Start, Start.AddSeconds(20)), (row.Phase, row.State, row.Release, row.StartedAt, row.FinishesAt));
    }

    [Fact]
    public async Task A_repeated_run_or_a_later_release_starts_nothing_again_and_a_read_of_an_unknown_migration_is_failed()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, clock);
        await sandbox.Migrations.StartAsync(Expand(), CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(5));

        var again = await sandbox.Migrations.StartAsync(Expand(), CancellationToken.None);
        var otherRelease = await sandbox.Migrations.StartAsync(Expand("release-2", "release-2:expand"), CancellationToken.None);
        var unknown = await sandbox.Migrations.ReadAsync(Expand() with { Phase = MigrationPhase.Contract, Migration = "2026-12-orders-drop-legacy" }, CancellationToken.None);

        Assert.Equal(MigrationState.Running, again.State);
        Assert.Contains("running since 2026-11-30T09:00:00Z for release release-1", otherRelease.Detail);
        Assert.Single(sandbox.MigrationHistory());
        Assert.Equal(MigrationState.Failed, unknown.State);
        Assert.Equal("the contract migration 2026-12-orders-drop-legacy was never started on the sandbox database", unknown.Detail);
    }

    [Fact]
    public async Task Told_to_fail_a_migration_ends_failed_and_a_later_release_may_run_it_again()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, clock);
        sandbox.MigrationBehaviour = new SandboxMigrationBehaviour(TimeSpan.FromSeconds(2), fail: true);

        await sandbox.Migrations.StartAsync(Expand(), CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(2));
        var failed = await sandbox.Migrations.ReadAsync(Expand(), CancellationToken.None);
        sandbox.MigrationBehaviour = SandboxMigrationBehaviour.Default;
        var retried = await sandbox.Migrations.StartAsync(Expand("release-2", "release-2:expand"), CancellationToken.None);

        Assert.Equal(MigrationState.Failed, failed.State);
        Assert.Contains("failed at 2026-11-30T09:00:02Z", failed.Detail);
        Assert.Equal(MigrationState.Running, retried.State);
        Assert.Equal(("running", "release-2"), (sandbox.MigrationHistory()[0].State, sandbox.MigrationHistory()[0].Release));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SandboxMigrationBehaviour(TimeSpan.FromHours(2), fail: false));
    }

    [Fact]
    public async Task The_hook_refuses_an_unsigned_or_wrongly_signed_body_and_a_body_that_names_no_migration()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await SandboxEnvironment.StartAsync(Quiet, clock);
        using var client = new HttpClient();
        const string Body = """{"release":"r","service":"s","version":"1","phase":"expand","migration":"m","action":"run","idempotencyKey":"k"}""";

        HttpRequestMessage Post(string body, string? signature)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, sandbox.MigrationHookUrl) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (signature is not null)
            {
                request.Headers.Add(SignedHook.SignatureHeader, signature);
            }

            return request;
        }

        using var unsigned = await client.SendAsync(Post(Body, null));
        using var wrong = await client.SendAsync(Post(Body, SignedHook.Sign("not-the-hook-secret-at-all", Encoding.UTF8.GetBytes(Body))));
        using var wrongHook = new HttpRequestMessage(HttpMethod.Get, sandbox.MigrationHookUrl);
        using var get = await client.SendAsync(wrongHook);

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.MethodNotAllowed), (unsigned.StatusCode, wrong.StatusCode, get.StatusCode));
        Assert.Contains("has no X-ReleaseFunctions-Signature-256 header", await unsigned.Content.ReadAsStringAsync());
        Assert.Contains("does not match its body", await wrong.Content.ReadAsStringAsync());
        Assert.Empty(sandbox.MigrationHistory());
    }

    [Fact]
    public async Task The_history_survives_a_restart_and_a_damaged_history_is_refused_with_what_to_do()
    {
        var clock = new FakeTimeProvider(Start);
        var file = Path.Combine(_directory, "sandbox-migrations.json");
        var options = Quiet with { MigrationStateFile = file };
        await using (var first = await SandboxEnvironment.StartAsync(options, clock))
        {
            await first.Migrations.StartAsync(Expand(), CancellationToken.None);
        }

        clock.Advance(TimeSpan.FromMinutes(1));
        await using (var second = await SandboxEnvironment.StartAsync(options, clock))
        {
            // Another process, another secret: the history is the database's, not the hook's.
            var read = await second.Migrations.ReadAsync(Expand(), CancellationToken.None);
            Assert.Equal(MigrationState.Applied, read.State);
        }

        await File.WriteAllTextAsync(file, "{ not json");
        var damaged = await Assert.ThrowsAsync<InvalidDataException>(() => SandboxEnvironment.StartAsync(options, clock));
        Assert.Contains($"{file} is damaged", damaged.Message);
        Assert.Contains("Delete it to start with an empty history", damaged.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
