namespace ReleaseFunctions.Ledger;

/// <summary>
/// Where the release ledger keeps its records. A file of its own: the engine's SQLite file belongs to the engine alone.
/// Set as <c>ReleaseFunctions__Store__LedgerPath</c>; the audit chain's key as <c>ReleaseFunctions__Audit__ChainKey</c>.
/// </summary>
public sealed class ReleaseLedgerOptions
{
    /// <summary>The default file, relative to the content root: <c>data/releases.db</c>.</summary>
    public const string DefaultPath = "data/releases.db";

    /// <summary>The SQLite file; a relative path is taken from the content root. Its folder is created when missing.</summary>
    public string Path { get; set; } = DefaultPath;

    /// <summary>
    /// The secret the audit trail's hash chain is keyed with (HMAC-SHA256; its UTF-8, at least 32 bytes). When not set,
    /// a key is generated once and kept in <see cref="ChainKeyFileName"/> next to the ledger file (never in it).
    /// </summary>
    public string? ChainKey { get; set; }

    /// <summary>The file next to the ledger that keeps the generated chain key when <see cref="ChainKey"/> is not set.</summary>
    public const string ChainKeyFileName = "audit-chain.key";

    /// <summary>The full path of the generated key's file: <see cref="ChainKeyFileName"/> in the ledger file's folder.</summary>
    public string ChainKeyPath => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!, ChainKeyFileName);

    /// <summary>How long a write waits for another process's lock on the file before failing. Default 5 seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
