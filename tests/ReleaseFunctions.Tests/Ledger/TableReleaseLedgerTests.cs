using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.GitHub;
using ReleaseFunctions.Integrations.GitHub.Webhooks;
using ReleaseFunctions.Ledger;
using ReleaseFunctions.Ledger.Tables;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Ledger;

/// <summary>The ledger contract on Azure Table storage (Azurite, started by <see cref="AzuriteTestServer"/>), in tables of this test's own.</summary>
public sealed class TableReleaseLedgerTests : ReleaseLedgerContract
{
    private const string ChainKey = "the tables contract's chain key, 32+ bytes long";

    private readonly string _tableName = AzuriteTestServer.NewTableName();
    private string? _connectionString;

    private ReleaseLedgerOptions Options(string? chainKey = null) => new()
    {
        Provider = ReleaseLedgerProvider.Tables,
        TableConnectionString = _connectionString ?? throw new InvalidOperationException("Azurite is not started yet."),
        TableName = _tableName,
        ChainKey = chainKey ?? ChainKey,
    };

    private protected override async Task<LedgerInstance> CreateStoreAsync()
    {
        _connectionString = await AzuriteTestServer.ConnectionStringAsync();
        return OpenInstance();
    }

    private protected override LedgerInstance OpenInstance(string? chainKey = null)
    {
        var options = Options(chainKey);
        var chainKeys = new AuditChainKeySource(options);
        return LedgerInstance.Of(new TableReleaseLedger(new LedgerTables(options, credential: null), chainKeys, NullLogger<TableReleaseLedger>.Instance), chainKeys);
    }

    private protected override IWebhookDeliveryLog OpenDeliveryLog(TimeProvider time)
        => new TableWebhookDeliveryLog(new LedgerTables(Options(), credential: null), time, NullLogger<TableWebhookDeliveryLog>.Instance);

    private protected override async Task TamperAsync(string instanceId, long sequence, string reason)
    {
        var tables = new LedgerTables(Options(), credential: null);
        var row = (await tables.Releases.GetEntityAsync<TableEntity>(TableKeys.Encode(instanceId, "id"), "audit-" + TableKeys.Sequence(sequence))).Value;
        row["Reason"] = reason;
        await tables.Releases.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
    }

    protected override async Task DeleteStoreAsync()
    {
        if (_connectionString is null)
        {
            return;
        }

        var tables = new LedgerTables(Options(), credential: null);
        foreach (var table in new[] { tables.Releases, tables.Dora, tables.Deliveries })
        {
            await table.DeleteAsync();
        }
    }

    [Fact]
    public async Task An_id_too_long_for_a_table_key_is_refused_by_name_and_never_found()
    {
        var ledger = OpenInstance();
        var release = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0) with { InstanceId = "release-" + new string('x', TableKeys.MaxIdLength) };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => LedgerSeed.RecordAsync(ledger.Ledger, release, "k1"));

        Assert.Contains($"at most {TableKeys.MaxIdLength}", error.Message, StringComparison.Ordinal);
        Assert.Null(await ledger.Ledger.GetReleaseAsync(release.InstanceId, default));
        Assert.Empty(await ledger.Ledger.GetAuditTrailAsync(release.InstanceId, default));
        Assert.Null(await ledger.Reviews.GetAsync(release.InstanceId, default));
    }

    [Fact]
    public async Task Evidence_longer_than_one_property_is_kept_whole_and_evidence_beyond_an_entity_is_refused_with_nothing_recorded()
    {
        var ledger = OpenInstance();
        var running = LedgerSeed.Release("octo/shop", 7, ReleaseStatus.Running, T0);
        var large = $"{{\"log\":\"{new string('a', 70_000)}🚀{new string('b', 40_000)}\"}}";

        var record = await LedgerSeed.RecordAsync(ledger.Ledger, running, "k1", evidence: large, at: T0);
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            LedgerSeed.RecordAsync(ledger.Ledger, running, "k2", evidence: $"{{\"log\":\"{new string('c', LongText.MaxChars)}\"}}", at: T0));

        var trail = await ledger.Ledger.GetAuditTrailAsync(running.InstanceId, default);
        Assert.True(Assert.Single(trail).EvidenceJson.Length > 110_000);
        Assert.Equal(record, trail[0]);
        Assert.True(AuditChain.Verify(trail, ledger.ChainKeys.Key).IsIntact);
        Assert.Contains($"at most {LongText.MaxChars}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("release-octo.shop-pr7-0123456789ab", "release-octo.shop-pr7-0123456789ab")]
    [InlineData("a/b", "a~2Fb")]
    [InlineData("a~b", "a~7Eb")]
    [InlineData("a\\b#c?d", "a~5Cb~23c~3Fd")]
    [InlineData("tab\there", "tab~09here")]
    [InlineData("é", "~C3~A9")]
    public void Keys_keep_the_app_s_ids_readable_and_escape_what_table_keys_forbid(string id, string key)
    {
        Assert.Equal(key, TableKeys.Encode(id, "id"));
    }
}
