using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Dora;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.GitHub.Webhooks;
using ReleaseFunctions.GitHub;
using ReleaseFunctions.Ledger;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Ledger;

/// <summary>One ledger object as the app holds it: every port it serves, and the key its trails are sealed with.</summary>
internal sealed record LedgerInstance(IReleaseLedger Ledger, IReleaseReviews Reviews, IDoraSummaries Dora, IReleaseExternalIds ExternalIds, AuditChainKeySource ChainKeys)
{
    public static LedgerInstance Of<T>(T ledger, AuditChainKeySource chainKeys)
        where T : IReleaseLedger, IReleaseReviews, IDoraSummaries, IReleaseExternalIds
        => new(ledger, ledger, ledger, ledger, chainKeys);
}

/// <summary>
/// What every release ledger does, whatever it is stored in: the SQLite file standalone
/// (<see cref="SqliteReleaseLedgerTests"/>) and Azure Table storage on Azure (<see cref="TableReleaseLedgerTests"/>,
/// against Azurite). A subclass opens ledger instances on one store of its own per test: a second instance is a
/// restart, or another instance of the app sharing the store.
/// </summary>
public abstract class ReleaseLedgerContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = TestClock.At(2026, 11, 23, 9, 0, 0);

    private LedgerInstance? _first;

    private LedgerInstance First => _first ?? throw new InvalidOperationException("The store is not open yet.");

    private IReleaseLedger Ledger => First.Ledger;

    /// <summary>Makes the test's store (a file, tables) and returns the first instance on it.</summary>
    private protected abstract Task<LedgerInstance> CreateStoreAsync();

    /// <summary>Another ledger instance on the same store; with <paramref name="chainKey"/>, one configured with that key.</summary>
    private protected abstract LedgerInstance OpenInstance(string? chainKey = null);

    /// <summary>A webhook delivery log on the same store.</summary>
    private protected abstract IWebhookDeliveryLog OpenDeliveryLog(TimeProvider time);

    /// <summary>Rewrites the reason of a stored audit record behind the ledger's back, as someone with write access to the store could.</summary>
    private protected abstract Task TamperAsync(string instanceId, long sequence, string reason);

    protected abstract Task DeleteStoreAsync();

    public async Task InitializeAsync() => _first = await CreateStoreAsync();

    public Task DisposeAsync() => DeleteStoreAsync();

    [Fact]
    public async Task Records_chain_per_release_and_the_release_row_follows_the_latest_state()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        var promoted = running with { Status = ReleaseStatus.Promoted, Summary = "promoted at 100%", UpdatedAt = T0.AddHours(1), CompletedAt = T0.AddHours(1) };
        var other = LedgerSeed.Release("octo/web", 1, ReleaseStatus.Running, T0);

        var first = await LedgerSeed.RecordAsync(Ledger, running, "k1", "release-received", "{\"b\": 2, \"a\": [1, 2]}", T0);
        await LedgerSeed.RecordAsync(Ledger, other, "k-other", at: T0);
        var second = await LedgerSeed.RecordAsync(Ledger, promoted, "k2", "promoted", at: T0.AddHours(1));

        Assert.Equal(1, first.Sequence);
        Assert.Equal(AuditChain.GenesisHash, first.PreviousHash);
        Assert.Equal(2, second.Sequence);
        Assert.Equal(first.Hash, second.PreviousHash);
        var trail = await Ledger.GetAuditTrailAsync(running.InstanceId, default);
        Assert.Equal([first, second], trail);
        Assert.Equal("{\"a\":[1,2],\"b\":2}", trail[0].EvidenceJson);
        Assert.True(AuditChain.Verify(trail, First.ChainKeys.Key).IsIntact);
        Assert.Equal(promoted, await Ledger.GetReleaseAsync(running.InstanceId, default));
        Assert.Null(await Ledger.GetReleaseAsync("release-octo.none-pr1-000000000000", default));
        Assert.Empty(await Ledger.GetAuditTrailAsync("release-octo.none-pr1-000000000000", default));
    }

    [Fact]
    public async Task A_later_record_keeps_who_and_what_the_release_is_and_when_it_started()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        await LedgerSeed.RecordAsync(Ledger, running, "k1", at: T0);

        var moved = running with { StartedAt = T0.AddDays(1), MergedAt = T0.AddDays(1), Status = ReleaseStatus.Paused, Stage = null, WeightPercent = null, InstallationId = 42, Service = "Checkout" };
        await LedgerSeed.RecordAsync(Ledger, moved, "k2", at: T0.AddMinutes(1));

        Assert.Equal(moved with { StartedAt = running.StartedAt, MergedAt = running.MergedAt }, await Ledger.GetReleaseAsync(running.InstanceId, default));
    }

    [Fact]
    public async Task A_second_call_with_the_same_key_returns_the_first_record_and_changes_nothing()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        var first = await LedgerSeed.RecordAsync(Ledger, running, "same-key", "release-received", at: T0);

        var repeat = await LedgerSeed.RecordAsync(Ledger, running with { Status = ReleaseStatus.Failed, Summary = "changed" }, "same-key", "failed", at: T0.AddMinutes(1));
        var fromAnotherInstance = await LedgerSeed.RecordAsync(OpenInstance().Ledger, running with { Summary = "again" }, "same-key", "failed", at: T0.AddMinutes(2));

        Assert.Equal(first, repeat);
        Assert.Equal(first, fromAnotherInstance);
        Assert.Single(await Ledger.GetAuditTrailAsync(running.InstanceId, default));
        Assert.Equal(running, await Ledger.GetReleaseAsync(running.InstanceId, default));
    }

    [Fact]
    public async Task Concurrent_appends_to_one_release_form_one_unbroken_chain()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => LedgerSeed.RecordAsync(Ledger, running, $"k{i}", at: T0))));

        var trail = await Ledger.GetAuditTrailAsync(running.InstanceId, default);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), trail.Select(r => r.Sequence));
        Assert.True(AuditChain.Verify(trail, First.ChainKeys.Key).IsIntact);
    }

    [Fact]
    public async Task Two_app_instances_appending_to_one_release_at_once_record_each_key_once_in_one_chain()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        var instances = new[] { Ledger, OpenInstance().Ledger };

        // Both instances append keys k0..k19 at once, as an activity retried on another instance would: each key once.
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            LedgerSeed.RecordAsync(instances[i % 2], running with { Summary = $"by instance {i % 2}" }, $"k{i / 2}", at: T0))));

        var trail = await Ledger.GetAuditTrailAsync(running.InstanceId, default);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), trail.Select(r => r.Sequence));
        Assert.True(AuditChain.Verify(trail, First.ChainKeys.Key).IsIntact);
        for (var key = 0; key < 20; key++)
        {
            Assert.Equal(results[2 * key], results[(2 * key) + 1]);
        }

        Assert.Equal(trail.ToHashSet(), results.ToHashSet());
    }

    [Fact]
    public async Task A_record_changed_in_the_store_is_found_by_verification()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        for (var i = 0; i < 3; i++)
        {
            await LedgerSeed.RecordAsync(Ledger, running, $"k{i}", at: T0.AddMinutes(i));
        }

        await TamperAsync(running.InstanceId, 2, "nothing to see");

        var verification = AuditChain.Verify(await Ledger.GetAuditTrailAsync(running.InstanceId, default), First.ChainKeys.Key);
        Assert.False(verification.IsIntact);
        Assert.Equal(2, verification.BrokenAtSequence);
    }

    [Fact]
    public async Task A_trail_read_under_another_key_does_not_verify()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        await LedgerSeed.RecordAsync(Ledger, running, "k1", at: T0);

        var other = OpenInstance(chainKey: "a configured key that is not the one the trail was sealed with");
        var verification = AuditChain.Verify(await other.Ledger.GetAuditTrailAsync(running.InstanceId, default), other.ChainKeys.Key);

        Assert.False(verification.IsIntact);
        Assert.Contains("sealed with another key", verification.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_about_another_release_is_refused()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        var entry = new AuditEntry("release-octo.other-pr1-000000000000", T0, "release-workflow", "transition", "why", "{}");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Ledger.RecordAsync(running, entry, "k", default));

        Assert.Contains(running.InstanceId, error.Message, StringComparison.Ordinal);
        Assert.Null(await Ledger.GetReleaseAsync(running.InstanceId, default));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public async Task A_blank_idempotency_key_is_refused_and_nothing_is_recorded(string key)
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => LedgerSeed.RecordAsync(Ledger, running, key));

        Assert.Equal("idempotencyKey", error.ParamName);
        Assert.Null(await Ledger.GetReleaseAsync(running.InstanceId, default));
    }

    [Fact]
    public async Task An_entry_dated_before_the_last_record_is_refused_and_the_trail_is_kept()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        var first = await LedgerSeed.RecordAsync(Ledger, running, "k1", at: T0);

        await Assert.ThrowsAsync<ArgumentException>(() => LedgerSeed.RecordAsync(Ledger, running with { Summary = "late" }, "k2", at: T0.AddMinutes(-1)));

        Assert.Equal([first], await Ledger.GetAuditTrailAsync(running.InstanceId, default));
        Assert.Equal(running, await Ledger.GetReleaseAsync(running.InstanceId, default));
    }

    [Fact]
    public async Task Ids_with_the_characters_table_keys_forbid_are_kept_apart_and_read_back()
    {
        // Table keys forbid / \ # ? and control characters; '~' is the encoding's own escape, and two ids that
        // would read alike once escaped must stay apart.
        string[] ids = ["release-a/b", "release-a~2Fb", "release-a\\b#c?d", "release-tab\tand\u0001control", "release-ünï-cødé-🚀", "release-a b%20"];
        var t = T0;
        foreach (var id in ids)
        {
            var release = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, t) with { InstanceId = id };
            await Ledger.RecordAsync(release, new AuditEntry(id, t, "release-workflow", "transition", $"about {id}", "{}"), $"key/{id}#?", default);
            await First.ExternalIds.SaveExternalIdAsync(id, $"github/check#run?{id}", ids.Length, default);
            t = t.AddMinutes(1);
        }

        foreach (var id in ids)
        {
            Assert.Equal(id, (await Ledger.GetReleaseAsync(id, default))?.InstanceId);
            var trail = await Ledger.GetAuditTrailAsync(id, default);
            Assert.Equal($"about {id}", Assert.Single(trail).Reason);
            Assert.Equal(new Dictionary<string, long> { [$"github/check#run?{id}"] = ids.Length }, await First.ExternalIds.GetExternalIdsAsync(id, default));
        }

        var listed = await Ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 4), default);
        var rest = await Ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 4, ContinuationToken: listed.ContinuationToken), default);
        Assert.Equal(ids.Reverse(), listed.Releases.Concat(rest.Releases).Select(r => r.InstanceId));
    }

    [Fact]
    public async Task Listing_is_newest_first_with_filters_and_pages_that_join_up()
    {
        for (var i = 1; i <= 7; i++)
        {
            var status = i % 2 == 0 ? ReleaseStatus.Promoted : ReleaseStatus.Running;
            await LedgerSeed.RecordAsync(Ledger, LedgerSeed.Release(i <= 5 ? "Octo/Shop" : "octo/web", i, status, T0.AddMinutes(i), service: i == 3 ? "Payments" : null), $"k{i}");
        }

        var shop = await Ledger.ListReleasesAsync(new ReleaseFilter(Repository: "OCTO/shop"), default);
        var promoted = await Ledger.ListReleasesAsync(new ReleaseFilter(Statuses: [ReleaseStatus.Promoted]), default);
        var payments = await Ledger.ListReleasesAsync(new ReleaseFilter(Service: "payments"), default);
        var window = await Ledger.ListReleasesAsync(new ReleaseFilter(StartedFrom: T0.AddMinutes(2), StartedTo: T0.AddMinutes(4)), default);
        var combined = await Ledger.ListReleasesAsync(new ReleaseFilter(Repository: "octo/shop", Statuses: [ReleaseStatus.Running, ReleaseStatus.Paused], StartedTo: T0.AddMinutes(5)), default);

        Assert.Equal([5, 4, 3, 2, 1], shop.Releases.Select(r => r.PullRequest));
        Assert.Null(shop.ContinuationToken);
        Assert.Equal([6, 4, 2], promoted.Releases.Select(r => r.PullRequest));
        Assert.Equal([3], payments.Releases.Select(r => r.PullRequest));
        Assert.Equal([3, 2], window.Releases.Select(r => r.PullRequest));
        Assert.Equal([3, 1], combined.Releases.Select(r => r.PullRequest));

        var seen = new List<int>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await Ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 3, ContinuationToken: token), default);
            seen.AddRange(page.Releases.Select(r => r.PullRequest));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal([7, 6, 5, 4, 3, 2, 1], seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task Releases_started_at_the_same_instant_are_paged_without_loss_or_repeat_in_id_order()
    {
        for (var i = 1; i <= 5; i++)
        {
            await LedgerSeed.RecordAsync(Ledger, LedgerSeed.Release("octo/shop", i, ReleaseStatus.Running, T0), $"k{i}");
        }

        var first = await Ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 2), default);
        var second = await Ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 2, ContinuationToken: first.ContinuationToken), default);
        var third = await Ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 2, ContinuationToken: second.ContinuationToken), default);

        var listed = first.Releases.Concat(second.Releases).Concat(third.Releases).Select(r => r.InstanceId).ToList();
        Assert.Equal(listed.OrderDescending(StringComparer.Ordinal), listed);
        Assert.Equal(5, listed.Distinct().Count());
        Assert.Null(third.ContinuationToken);
    }

    [Fact]
    public async Task A_page_token_from_one_instance_continues_on_another()
    {
        for (var i = 1; i <= 3; i++)
        {
            await LedgerSeed.RecordAsync(Ledger, LedgerSeed.Release("octo/shop", i, ReleaseStatus.Running, T0.AddMinutes(i)), $"k{i}");
        }

        var first = await Ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 2), default);
        var rest = await OpenInstance().Ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 2, ContinuationToken: first.ContinuationToken), default);

        Assert.Equal([3, 2, 1], first.Releases.Concat(rest.Releases).Select(r => r.PullRequest));
    }

    [Theory]
    [InlineData("not base64 !")]
    [InlineData("bm8tYmFy")]
    [InlineData("_w")]
    public async Task A_continuation_token_it_did_not_issue_is_an_argument_error_naming_the_token(string token)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Ledger.ListReleasesAsync(new ReleaseFilter(ContinuationToken: token), default));

        Assert.Equal(nameof(ReleaseFilter.ContinuationToken), error.ParamName);
        Assert.Contains("not one this service issued", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task External_ids_are_kept_per_release_and_name_replaced_idempotently_and_survive_a_restart()
    {
        var ids = First.ExternalIds;
        await ids.SaveExternalIdAsync("release-a", "github-check-run", 11, default);
        await ids.SaveExternalIdAsync("release-a", "github-check-run", 11, default);
        await ids.SaveExternalIdAsync("release-a", "github-status-comment", 21, default);
        await ids.SaveExternalIdAsync("release-a", "github-status-comment", 22, default);
        await ids.SaveExternalIdAsync("release-b", "github-check-run", 12, default);

        var restarted = OpenInstance().ExternalIds;

        Assert.Equal(new Dictionary<string, long> { ["github-check-run"] = 11, ["github-status-comment"] = 22 }, await restarted.GetExternalIdsAsync("release-a", default));
        Assert.Equal(new Dictionary<string, long> { ["github-check-run"] = 12 }, await restarted.GetExternalIdsAsync("release-b", default));
        Assert.Empty(await restarted.GetExternalIdsAsync("release-c", default));
    }

    [Fact]
    public async Task Reviews_are_kept_once_per_release_and_finished_releases_are_due_until_published()
    {
        var reviews = First.Reviews;
        var promoted = LedgerSeed.Release("octo/shop", 1, ReleaseStatus.Promoted, T0);
        var running = LedgerSeed.Release("octo/shop", 2, ReleaseStatus.Running, T0);
        var rolledBack = LedgerSeed.Release("octo/shop", 3, ReleaseStatus.RolledBack, T0.AddMinutes(1));
        foreach (var (release, key) in new[] { (promoted, "k1"), (running, "k2"), (rolledBack, "k3") })
        {
            await LedgerSeed.RecordAsync(Ledger, release, key);
        }

        var due = await reviews.ListDueAsync(T0.AddDays(1), 10, default);
        var first = new ReleaseReview(promoted.InstanceId, T0.AddDays(1), ReleaseStatus.Promoted, "promoted",
            [new SliComparison("error_rate", 0.01, 0.012, "steady")], new ErrorBudgetBurn(80, 79.5), TimeSpan.FromMinutes(35), false, ["note"]);
        var kept = await reviews.SaveAsync(first, default);
        var second = await OpenInstance().Reviews.SaveAsync(first with { OutcomeReason = "rewritten" }, default);
        var savedUnpublished = await reviews.ListDueAsync(T0.AddDays(1), 10, default);
        await reviews.MarkPublishedAsync(promoted.InstanceId, T0.AddDays(1).AddMinutes(1), default);
        await reviews.MarkPublishedAsync(promoted.InstanceId, T0.AddDays(2), default);
        await reviews.MarkPublishedAsync("release-without-review", T0.AddDays(2), default);
        var stillDue = await reviews.ListDueAsync(T0.AddDays(1), 10, default);
        var read = await reviews.GetAsync(promoted.InstanceId, default);

        Assert.Equal([promoted.InstanceId, rolledBack.InstanceId], due.Select(r => r.InstanceId));
        Assert.Equal("promoted", kept.OutcomeReason);
        Assert.Equal("promoted", second.OutcomeReason);
        Assert.Equal([promoted.InstanceId, rolledBack.InstanceId], savedUnpublished.Select(r => r.InstanceId));
        Assert.Equal([rolledBack.InstanceId], stillDue.Select(r => r.InstanceId));
        Assert.Equal(T0.AddDays(1).AddMinutes(1), read!.PublishedAt);
        Assert.Equal(first.Slis, read.Slis);
        Assert.Equal(first.ErrorBudget, read.ErrorBudget);
        Assert.Null(await reviews.GetAsync(running.InstanceId, default));
        Assert.Empty(await reviews.ListDueAsync(T0, 10, default));
        Assert.Single(await reviews.ListDueAsync(T0.AddDays(1), 1, default));

        // A later record about the published release (its row replaced) keeps it out of the due list.
        await LedgerSeed.RecordAsync(Ledger, promoted with { Summary = "still promoted" }, "k4", at: promoted.UpdatedAt.AddMinutes(1));
        Assert.Equal([rolledBack.InstanceId], (await reviews.ListDueAsync(T0.AddDays(1), 10, default)).Select(r => r.InstanceId));
    }

    [Fact]
    public async Task A_review_saved_published_or_published_before_its_release_was_recorded_is_not_due()
    {
        var reviews = First.Reviews;
        var promoted = LedgerSeed.Release("octo/shop", 1, ReleaseStatus.Promoted, T0);
        var late = LedgerSeed.Release("octo/shop", 2, ReleaseStatus.Promoted, T0);
        var review = new ReleaseReview(promoted.InstanceId, T0.AddDays(1), ReleaseStatus.Promoted, "promoted", [], null, TimeSpan.FromMinutes(35), false, [], PublishedAt: T0.AddDays(1));
        await LedgerSeed.RecordAsync(Ledger, promoted, "k1");

        var kept = await reviews.SaveAsync(review, default);
        await reviews.SaveAsync(review with { InstanceId = late.InstanceId, PublishedAt = null }, default);
        await OpenInstance().Reviews.MarkPublishedAsync(late.InstanceId, T0.AddDays(1), default);
        await LedgerSeed.RecordAsync(Ledger, late, "k2");

        Assert.Equal(T0.AddDays(1), kept.PublishedAt);
        Assert.Empty(await reviews.ListDueAsync(T0.AddDays(2), 10, default));
    }

    [Fact]
    public async Task Dora_summaries_are_kept_once_per_repository_and_period_and_listed_newest_first()
    {
        var dora = First.Dora;
        DoraMetrics Week(string repository, int week, int deployments) => new(repository, T0.AddDays(7 * week), T0.AddDays(7 * (week + 1)), deployments, deployments, 0, deployments / 7.0, null, null, null, 0, new DoraBands(DoraBand.Elite, null, null, null));

        Assert.True(await dora.SaveAsync(Week("Octo/Shop", 0, 1), default));
        Assert.False(await OpenInstance().Dora.SaveAsync(Week("octo/shop", 0, 99), default));
        Assert.True(await dora.SaveAsync(Week("octo/shop", 1, 2), default));
        Assert.True(await dora.SaveAsync(Week("octo/web", 1, 3), default));
        Assert.True(await dora.SaveAsync(Week("octo/web", 2, 4), default));

        Assert.Equal([2, 1], (await dora.ListAsync("OCTO/SHOP", 10, default)).Select(s => s.Deployments));
        Assert.Equal([2], (await dora.ListAsync("octo/shop", 1, default)).Select(s => s.Deployments));
        Assert.Equal([4, 2, 3, 1], (await dora.ListAsync(null, 10, default)).Select(s => s.Deployments));
        Assert.Equal([4, 2], (await dora.ListAsync(null, 2, default)).Select(s => s.Deployments));
        Assert.Empty(await dora.ListAsync("octo/none", 10, default));
    }

    [Fact]
    public async Task A_delivery_is_recorded_once_survives_a_restart_can_be_forgotten_and_expires_after_the_retention()
    {
        var time = new FakeTimeProvider(TestClock.At(2026, 11, 23, 14, 0, 0));
        var log = OpenDeliveryLog(time);
        var now = time.GetUtcNow();

        Assert.True(await log.TryRecordAsync("d-1", now, default));
        Assert.False(await log.TryRecordAsync("d-1", now, default));
        var restarted = OpenDeliveryLog(time);
        Assert.False(await restarted.TryRecordAsync("d-1", now, default));
        await restarted.ForgetAsync("d-1", default);
        await restarted.ForgetAsync("d-never-seen", default);
        Assert.True(await log.TryRecordAsync("d-1", now, default));

        time.Advance(SqliteWebhookDeliveryLog.Retention - TimeSpan.FromSeconds(1));
        Assert.False(await log.TryRecordAsync("d-1", time.GetUtcNow(), default));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await log.TryRecordAsync("d-1", time.GetUtcNow(), default));
        Assert.False(await restarted.TryRecordAsync("d-1", time.GetUtcNow(), default));
    }

    [Fact]
    public async Task Concurrent_deliveries_of_one_id_to_two_app_instances_are_handled_once()
    {
        var time = new FakeTimeProvider(TestClock.At(2026, 11, 23, 14, 0, 0));
        var logs = new[] { OpenDeliveryLog(time), OpenDeliveryLog(time) };

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () => await logs[i % 2].TryRecordAsync("same", time.GetUtcNow(), default))));

        Assert.Equal(1, results.Count(recorded => recorded));
    }

    [Fact]
    public async Task A_burst_of_deliveries_records_each_id_once_and_keeps_them_after_a_restart()
    {
        var time = new FakeTimeProvider(TestClock.At(2026, 11, 23, 14, 0, 0));
        var log = OpenDeliveryLog(time);
        // 300 deliveries at once (more than one of the SQLite log's transactions holds), each of 150 ids sent twice.
        var ids = Enumerable.Range(0, 300).Select(i => $"burst-{i % 150}").ToArray();

        var results = await Task.WhenAll(ids.Select(id => Task.Run(async () => (id, recorded: await log.TryRecordAsync(id, time.GetUtcNow(), default)))));

        Assert.All(results.GroupBy(r => r.id), g => Assert.Equal(1, g.Count(r => r.recorded)));
        var restarted = OpenDeliveryLog(time);
        foreach (var id in ids.Distinct())
        {
            Assert.False(await restarted.TryRecordAsync(id, time.GetUtcNow(), default), id);
        }
    }

    [Fact]
    public async Task Delivery_ids_with_the_characters_table_keys_forbid_are_kept_apart()
    {
        var time = new FakeTimeProvider(TestClock.At(2026, 11, 23, 14, 0, 0));
        var log = OpenDeliveryLog(time);
        string[] ids = ["a/b", "a~2Fb", "a\\b", "a#b?c", "a\u0007b"];

        foreach (var id in ids)
        {
            Assert.True(await log.TryRecordAsync(id, time.GetUtcNow(), default), id);
        }

        foreach (var id in ids)
        {
            Assert.False(await log.TryRecordAsync(id, time.GetUtcNow(), default), id);
        }
    }
}
