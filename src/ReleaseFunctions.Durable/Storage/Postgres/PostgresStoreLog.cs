using Microsoft.Extensions.Logging;

namespace ReleaseFunctions.Durable.Storage.Postgres;

/// <summary>The PostgreSQL store's log messages, with fixed event ids (1100–1119).</summary>
internal static partial class PostgresStoreLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "PostgreSQL store schema {Schema} migrated from version {From} to {To}")]
    public static partial void Migrated(ILogger logger, string schema, int from, int to);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "The PostgreSQL wake-up listener on schema {Schema} lost its connection; reconnecting in {RetryAfter}")]
    public static partial void ListenerLost(ILogger logger, string schema, TimeSpan retryAfter, Exception exception);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "The PostgreSQL wake-up listener on schema {Schema} is listening")]
    public static partial void ListenerListening(ILogger logger, string schema);
}
