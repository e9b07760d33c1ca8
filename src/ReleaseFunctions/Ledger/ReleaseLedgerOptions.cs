namespace ReleaseFunctions.Ledger;

/// <summary>
/// Where the release ledger keeps its records. A file of its own: the engine's SQLite file belongs to the engine alone.
/// Set as <c>ReleaseFunctions__Store__LedgerPath</c>.
/// </summary>
public sealed class ReleaseLedgerOptions
{
    /// <summary>The default file, relative to the content root: <c>data/releases.db</c>.</summary>
    public const string DefaultPath = "data/releases.db";

    /// <summary>The SQLite file; a relative path is taken from the content root. Its folder is created when missing.</summary>
    public string Path { get; set; } = DefaultPath;

    /// <summary>How long a write waits for another process's lock on the file before failing. Default 5 seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
