using Azure.Core;
using Azure.Data.Tables;

namespace ReleaseFunctions.Ledger.Tables;

/// <summary>
/// The Tables ledger's tables in one storage account: <c>{TableName}</c> (releases, their audit trails, reviews and
/// external ids, one partition per release), <c>{TableName}Dora</c> (weekly DORA summaries) and
/// <c>{TableName}Deliveries</c> (webhook delivery ids). Created at first use when missing; a failure to create them is
/// thrown to that use and tried again on the next (<see cref="InitializeOnce"/>).
/// </summary>
internal sealed class LedgerTables
{
    private readonly InitializeOnce _created;

    public LedgerTables(ReleaseLedgerOptions options, TokenCredential? credential)
    {
        ArgumentNullException.ThrowIfNull(options);
        var service = options switch
        {
            { TableConnectionString: { } connectionString } => new TableServiceClient(connectionString),
            { TableServiceUri: { } uri } => new TableServiceClient(uri, credential ?? throw new ArgumentNullException(nameof(credential), "A Table service endpoint is reached with a credential (the managed identity)."), new TableClientOptions()),
            _ => throw new ArgumentException("The Tables ledger needs ReleaseFunctions__Ledger__TableServiceUri or ReleaseFunctions__Ledger__TableConnectionString.", nameof(options)),
        };
        Endpoint = service.Uri;
        Releases = service.GetTableClient(options.TableName);
        Dora = service.GetTableClient(options.TableName + "Dora");
        Deliveries = service.GetTableClient(options.TableName + "Deliveries");
        _created = new InitializeOnce(async () =>
        {
            await Releases.CreateIfNotExistsAsync().ConfigureAwait(false);
            await Dora.CreateIfNotExistsAsync().ConfigureAwait(false);
            await Deliveries.CreateIfNotExistsAsync().ConfigureAwait(false);
        });
    }

    /// <summary>The Table service (for messages; never holds a key).</summary>
    public Uri Endpoint { get; }

    public TableClient Releases { get; }

    public TableClient Dora { get; }

    public TableClient Deliveries { get; }

    public Task EnsureCreatedAsync() => _created.EnsureAsync();
}
