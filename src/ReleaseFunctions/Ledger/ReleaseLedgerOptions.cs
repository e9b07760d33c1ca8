namespace ReleaseFunctions.Ledger;

/// <summary>Where the release ledger lives.</summary>
public enum ReleaseLedgerProvider
{
    /// <summary>A SQLite file on this machine's disk: one instance (or instances sharing the file's folder).</summary>
    Sqlite,

    /// <summary>Azure Table storage: every instance of the app shares it.</summary>
    Tables,
}

/// <summary>
/// Where the release ledger keeps its records. A file of its own: the engine's SQLite file belongs to the engine alone.
/// Set as <c>ReleaseFunctions__Store__LedgerPath</c>; the audit chain's key as <c>ReleaseFunctions__Audit__ChainKey</c>;
/// the provider and the Table service as <c>ReleaseFunctions__Ledger__*</c>.
/// </summary>
public sealed class ReleaseLedgerOptions
{
    /// <summary>The default file, relative to the content root: <c>data/releases.db</c>.</summary>
    public const string DefaultPath = "data/releases.db";

    /// <summary>The default name of the Tables ledger's table (its DORA summaries and delivery ids get this name and a suffix).</summary>
    public const string DefaultTableName = "ReleaseLedger";

    /// <summary>
    /// Which store: <see cref="ReleaseLedgerProvider.Sqlite"/> by default standalone, <see cref="ReleaseLedgerProvider.Tables"/>
    /// by default on the Functions worker (in the function app's storage account).
    /// </summary>
    public ReleaseLedgerProvider Provider { get; set; } = ReleaseLedgerProvider.Sqlite;

    /// <summary>The SQLite file; a relative path is taken from the content root. Its folder is created when missing.</summary>
    public string Path { get; set; } = DefaultPath;

    /// <summary>
    /// The Table service endpoint (e.g. <c>https://account.table.core.windows.net/</c>), reached with
    /// <c>DefaultAzureCredential</c> (the managed identity on Azure). Either this or <see cref="TableConnectionString"/>.
    /// </summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>A storage connection string (Azurite, <c>UseDevelopmentStorage=true</c>, or a development account with a key).</summary>
    public string? TableConnectionString { get; set; }

    /// <summary>The table of releases and their trails; default <see cref="DefaultTableName"/> (letters and digits, 3 to 52, starting with a letter).</summary>
    public string TableName { get; set; } = DefaultTableName;

    /// <summary>
    /// The secret the audit trail's hash chain is keyed with (HMAC-SHA256; its UTF-8, at least 32 bytes). When not set,
    /// a key is generated once and kept in <see cref="ChainKeyFileName"/> next to the ledger file (never in it). The
    /// Tables ledger needs it set: every instance seals the same trails.
    /// </summary>
    public string? ChainKey { get; set; }

    /// <summary>The file next to the ledger that keeps the generated chain key when <see cref="ChainKey"/> is not set.</summary>
    public const string ChainKeyFileName = "audit-chain.key";

    /// <summary>The full path of the generated key's file: <see cref="ChainKeyFileName"/> in the ledger file's folder.</summary>
    public string ChainKeyPath => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!, ChainKeyFileName);

    /// <summary>How long a write waits for another process's lock on the file before failing. Default 5 seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The ledger a host uses when <c>ReleaseFunctions__Ledger__Provider</c> is not set.</summary>
internal sealed record ReleaseLedgerDefaults(ReleaseLedgerProvider Provider);
