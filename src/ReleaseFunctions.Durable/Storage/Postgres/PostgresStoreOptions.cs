using System.Text.RegularExpressions;
using Npgsql;

namespace ReleaseFunctions.Durable.Storage.Postgres;

/// <summary>Options of the PostgreSQL store, for several app instances sharing one database.</summary>
public sealed partial class PostgresStoreOptions
{
    /// <summary>
    /// Npgsql connection string, for example <c>Host=db.example.net;Database=releases;Username=app;Password=…</c>.
    /// Required; no default. Its <c>Search Path</c> and <c>Command Timeout</c> are replaced by <see cref="Schema"/> and
    /// <see cref="CommandTimeout"/>; pool sizes and TLS settings are kept.
    /// </summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// Schema holding the store's tables, created when missing. Lower-case letters, digits and underscores, starting
    /// with a letter or underscore, at most 40 characters (it also names the NOTIFY channels). Default: <c>releasefunctions</c>.
    /// </summary>
    public string Schema { get; set; } = "releasefunctions";

    /// <summary>How long one statement may run before it fails. Default: 30 seconds.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait before the wake-up listener reconnects after losing its connection; doubles on each failure. Default: 500 ms.</summary>
    public TimeSpan ListenerReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between the listener's reconnection attempts. Default: 15 seconds.</summary>
    public TimeSpan ListenerMaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(15);

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("The PostgreSQL store needs a connection string (PostgresStoreOptions.ConnectionString), for example 'Host=localhost;Database=releases;Username=app'; got an empty value.");
        }

        NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"PostgresStoreOptions.ConnectionString is not a valid Npgsql connection string ({ex.Message}); expected 'Host=…;Database=…;Username=…'.", ex);
        }

        if (string.IsNullOrWhiteSpace(parsed.Host))
        {
            throw new ArgumentException("PostgresStoreOptions.ConnectionString names no host; expected 'Host=…;Database=…;Username=…'.");
        }

        if (Schema is null || !SchemaName().IsMatch(Schema))
        {
            throw new ArgumentException($"PostgresStoreOptions.Schema must be 1 to 40 lower-case letters, digits or underscores, starting with a letter or underscore; got '{Schema}'.");
        }

        if (CommandTimeout < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"PostgresStoreOptions.CommandTimeout must be at least 1 second; got {CommandTimeout}.");
        }

        if (ListenerReconnectDelay <= TimeSpan.Zero || ListenerMaxReconnectDelay < ListenerReconnectDelay)
        {
            throw new ArgumentException($"PostgresStoreOptions.ListenerReconnectDelay must be positive and at most ListenerMaxReconnectDelay; got {ListenerReconnectDelay} and {ListenerMaxReconnectDelay}.");
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();
}
