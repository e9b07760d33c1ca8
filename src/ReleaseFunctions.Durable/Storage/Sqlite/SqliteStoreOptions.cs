namespace ReleaseFunctions.Durable.Storage.Sqlite;

/// <summary>Options of the SQLite store.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Path of the database file. Its folder is created when missing. Default: <c>data/releasefunctions.db</c>.</summary>
    public string Path { get; set; } = System.IO.Path.Combine("data", "releasefunctions.db");

    /// <summary>How long to wait for SQLite's own file lock before failing. Default: 5 seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("The SQLite store needs a file path (SqliteStoreOptions.Path); got an empty value.");
        }

        if (BusyTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException($"SqliteStoreOptions.BusyTimeout must not be negative; got {BusyTimeout}.");
        }
    }
}
