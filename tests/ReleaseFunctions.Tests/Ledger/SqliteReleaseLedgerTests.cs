using Microsoft.Data.Sqlite;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Ledger;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Ledger;

public sealed class SqliteReleaseLedgerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = TestClock.At(2026, 11, 23, 9, 0, 0);
    private readonly string _folder = Directory.CreateTempSubdirectory("releasefunctions-ledger-").FullName;
    private readonly SqliteReleaseLedger _ledger;

    public SqliteReleaseLedgerTests()
    {
        _ledger = new SqliteReleaseLedger(new ReleaseLedgerOptions { Path = Path.Combine(_folder, "nested", "releases.db") });
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Records_chain_per_release_and_the_release_row_follows_the_latest_state()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        var promoted = running with { Status = ReleaseStatus.Promoted, Summary = "promoted at 100%", UpdatedAt = T0.AddHours(1), CompletedAt = T0.AddHours(1) };
        var other = LedgerSeed.Release("octo/web", 1, ReleaseStatus.Running, T0);

        var first = await LedgerSeed.RecordAsync(_ledger, running, "k1", "release-received", "{\"b\": 2, \"a\": [1, 2]}", T0);
        await LedgerSeed.RecordAsync(_ledger, other, "k-other", at: T0);
        var second = await LedgerSeed.RecordAsync(_ledger, promoted, "k2", "promoted", at: T0.AddHours(1));

        Assert.Equal(1, first.Sequence);
        Assert.Equal(AuditChain.GenesisHash, first.PreviousHash);
        Assert.Equal(2, second.Sequence);
        Assert.Equal(first.Hash, second.PreviousHash);
        var trail = await _ledger.GetAuditTrailAsync(running.InstanceId, default);
        Assert.Equal([first, second], trail);
        Assert.Equal("{\"a\":[1,2],\"b\":2}", trail[0].EvidenceJson);
        Assert.True(AuditChain.Verify(trail, _ledger.ChainKeys.Key).IsIntact);
        Assert.Equal(promoted, await _ledger.GetReleaseAsync(running.InstanceId, default));
        Assert.Null(await _ledger.GetReleaseAsync("release-octo.none-pr1-000000000000", default));
    }

    [Fact]
    public async Task A_second_call_with_the_same_key_returns_the_first_record_and_changes_nothing()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        var first = await LedgerSeed.RecordAsync(_ledger, running, "same-key", "release-received", at: T0);

        var repeat = await LedgerSeed.RecordAsync(_ledger, running with { Status = ReleaseStatus.Failed, Summary = "changed" }, "same-key", "failed", at: T0.AddMinutes(1));

        Assert.Equal(first, repeat);
        Assert.Single(await _ledger.GetAuditTrailAsync(running.InstanceId, default));
        Assert.Equal(running, await _ledger.GetReleaseAsync(running.InstanceId, default));
    }

    [Fact]
    public async Task Concurrent_appends_to_one_release_form_one_unbroken_chain()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => LedgerSeed.RecordAsync(_ledger, running, $"k{i}", at: T0))));

        var trail = await _ledger.GetAuditTrailAsync(running.InstanceId, default);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), trail.Select(r => r.Sequence));
        Assert.True(AuditChain.Verify(trail, _ledger.ChainKeys.Key).IsIntact);
    }

    [Fact]
    public async Task A_record_changed_in_the_file_is_found_by_verification()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        for (var i = 0; i < 3; i++)
        {
            await LedgerSeed.RecordAsync(_ledger, running, $"k{i}", at: T0.AddMinutes(i));
        }

        await using (var connection = new SqliteConnection($"Data Source={_ledger.FilePath}"))
        {
            await connection.OpenAsync();
            await using var tamper = connection.CreateCommand();
            tamper.CommandText = "UPDATE audit_records SET reason = 'nothing to see' WHERE sequence = 2";
            Assert.Equal(1, await tamper.ExecuteNonQueryAsync());
        }

        var verification = AuditChain.Verify(await _ledger.GetAuditTrailAsync(running.InstanceId, default), _ledger.ChainKeys.Key);
        Assert.False(verification.IsIntact);
        Assert.Equal(2, verification.BrokenAtSequence);
    }

    [Fact]
    public async Task The_chain_key_is_generated_once_beside_the_ledger_file_never_in_it_and_kept_across_restarts()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        await LedgerSeed.RecordAsync(_ledger, running, "k1", at: T0);

        var keyFile = Path.Combine(Path.GetDirectoryName(_ledger.FilePath)!, ReleaseLedgerOptions.ChainKeyFileName);
        var keyText = File.ReadAllText(keyFile).Trim();
        Assert.True(keyText.Length >= 32, $"the generated key has {keyText.Length} characters");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }

        SqliteConnection.ClearAllPools();
        Assert.DoesNotContain(keyText, System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(_ledger.FilePath)), StringComparison.Ordinal);
        var restarted = new SqliteReleaseLedger(new ReleaseLedgerOptions { Path = _ledger.FilePath });
        await LedgerSeed.RecordAsync(restarted, running, "k2", at: T0.AddMinutes(1));
        Assert.True(AuditChain.Verify(await restarted.GetAuditTrailAsync(running.InstanceId, default), restarted.ChainKeys.Key).IsIntact);
        Assert.Equal(keyText, File.ReadAllText(keyFile).Trim());

        // Under another key (a configured one that is not the key the trail was sealed with) the same trail does not verify.
        var configured = new SqliteReleaseLedger(new ReleaseLedgerOptions { Path = _ledger.FilePath, ChainKey = "a configured key that is not the generated one" });
        var verification = AuditChain.Verify(await configured.GetAuditTrailAsync(running.InstanceId, default), configured.ChainKeys.Key);
        Assert.False(verification.IsIntact);
        Assert.Contains("sealed with another key", verification.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_about_another_release_is_refused()
    {
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        var entry = new AuditEntry("release-octo.other-pr1-000000000000", T0, "release-workflow", "transition", "why", "{}");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => _ledger.RecordAsync(running, entry, "k", default));

        Assert.Contains(running.InstanceId, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_is_newest_first_with_filters_and_pages_that_join_up()
    {
        for (var i = 1; i <= 7; i++)
        {
            var status = i % 2 == 0 ? ReleaseStatus.Promoted : ReleaseStatus.Running;
            await LedgerSeed.RecordAsync(_ledger, LedgerSeed.Release(i <= 5 ? "Octo/Shop" : "octo/web", i, status, T0.AddMinutes(i), service: i == 3 ? "Payments" : null), $"k{i}");
        }

        var shop = await _ledger.ListReleasesAsync(new ReleaseFilter(Repository: "OCTO/shop"), default);
        var promoted = await _ledger.ListReleasesAsync(new ReleaseFilter(Statuses: [ReleaseStatus.Promoted]), default);
        var payments = await _ledger.ListReleasesAsync(new ReleaseFilter(Service: "payments"), default);
        var window = await _ledger.ListReleasesAsync(new ReleaseFilter(StartedFrom: T0.AddMinutes(2), StartedTo: T0.AddMinutes(4)), default);

        Assert.Equal([5, 4, 3, 2, 1], shop.Releases.Select(r => r.PullRequest));
        Assert.Null(shop.ContinuationToken);
        Assert.Equal([6, 4, 2], promoted.Releases.Select(r => r.PullRequest));
        Assert.Equal([3], payments.Releases.Select(r => r.PullRequest));
        Assert.Equal([3, 2], window.Releases.Select(r => r.PullRequest));

        var seen = new List<int>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await _ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 3, ContinuationToken: token), default);
            seen.AddRange(page.Releases.Select(r => r.PullRequest));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal([7, 6, 5, 4, 3, 2, 1], seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task Releases_started_at_the_same_instant_are_paged_without_loss_or_repeat()
    {
        for (var i = 1; i <= 5; i++)
        {
            await LedgerSeed.RecordAsync(_ledger, LedgerSeed.Release("octo/shop", i, ReleaseStatus.Running, T0), $"k{i}");
        }

        var first = await _ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 2), default);
        var second = await _ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 2, ContinuationToken: first.ContinuationToken), default);
        var third = await _ledger.ListReleasesAsync(new ReleaseFilter(PageSize: 2, ContinuationToken: second.ContinuationToken), default);

        Assert.Equal(5, first.Releases.Concat(second.Releases).Concat(third.Releases).Select(r => r.InstanceId).Distinct().Count());
        Assert.Null(third.ContinuationToken);
    }

    [Theory]
    [InlineData("not base64 !")]
    [InlineData("bm8tYmFy")]
    [InlineData("_w")]
    public async Task A_continuation_token_it_did_not_issue_is_an_argument_error_naming_the_token(string token)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _ledger.ListReleasesAsync(new ReleaseFilter(ContinuationToken: token), default));

        Assert.Equal(nameof(ReleaseFilter.ContinuationToken), error.ParamName);
        Assert.Contains("not one this service issued", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task External_ids_are_kept_per_release_and_name_replaced_idempotently_and_survive_a_restart()
    {
        await _ledger.SaveExternalIdAsync("release-a", "github-check-run", 11, default);
        await _ledger.SaveExternalIdAsync("release-a", "github-check-run", 11, default);
        await _ledger.SaveExternalIdAsync("release-a", "github-status-comment", 21, default);
        await _ledger.SaveExternalIdAsync("release-a", "github-status-comment", 22, default);
        await _ledger.SaveExternalIdAsync("release-b", "github-check-run", 12, default);

        var restarted = new SqliteReleaseLedger(new ReleaseLedgerOptions { Path = _ledger.FilePath });

        Assert.Equal(new Dictionary<string, long> { ["github-check-run"] = 11, ["github-status-comment"] = 22 }, await restarted.GetExternalIdsAsync("release-a", default));
        Assert.Equal(new Dictionary<string, long> { ["github-check-run"] = 12 }, await restarted.GetExternalIdsAsync("release-b", default));
        Assert.Empty(await restarted.GetExternalIdsAsync("release-c", default));
    }

    [Fact]
    public async Task Reviews_are_kept_once_per_release_and_finished_releases_are_due_until_published()
    {
        var promoted = LedgerSeed.Release("octo/shop", 1, ReleaseStatus.Promoted, T0);
        var running = LedgerSeed.Release("octo/shop", 2, ReleaseStatus.Running, T0);
        var rolledBack = LedgerSeed.Release("octo/shop", 3, ReleaseStatus.RolledBack, T0.AddMinutes(1));
        foreach (var (release, key) in new[] { (promoted, "k1"), (running, "k2"), (rolledBack, "k3") })
        {
            await LedgerSeed.RecordAsync(_ledger, release, key);
        }

        var due = await _ledger.ListDueAsync(T0.AddDays(1), 10, default);
        var first = new ReleaseReview(promoted.InstanceId, T0.AddDays(1), ReleaseStatus.Promoted, "promoted",
            [new SliComparison("error_rate", 0.01, 0.012, "steady")], new ErrorBudgetBurn(80, 79.5), TimeSpan.FromMinutes(35), false, ["note"]);
        var kept = await _ledger.SaveAsync(first, default);
        var second = await _ledger.SaveAsync(first with { OutcomeReason = "rewritten" }, default);
        await _ledger.MarkPublishedAsync(promoted.InstanceId, T0.AddDays(1).AddMinutes(1), default);
        var stillDue = await _ledger.ListDueAsync(T0.AddDays(1), 10, default);
        var read = await _ledger.GetAsync(promoted.InstanceId, default);

        Assert.Equal([promoted.InstanceId, rolledBack.InstanceId], due.Select(r => r.InstanceId));
        Assert.Equal("promoted", kept.OutcomeReason);
        Assert.Equal("promoted", second.OutcomeReason);
        Assert.Equal([rolledBack.InstanceId], stillDue.Select(r => r.InstanceId));
        Assert.Equal(T0.AddDays(1).AddMinutes(1), read!.PublishedAt);
        Assert.Equal(first.Slis, read.Slis);
        Assert.Equal(first.ErrorBudget, read.ErrorBudget);
        Assert.Null(await _ledger.GetAsync(running.InstanceId, default));
        Assert.Empty(await _ledger.ListDueAsync(T0, 10, default));
    }
}
