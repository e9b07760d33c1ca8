using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Core.Ports;

/// <summary>
/// A query for one SLI, as the policy names it. <see cref="Provider"/> picks the source
/// (for example "azure-monitor-logs", "azure-monitor-metrics", "prometheus", "sandbox").
/// <see cref="Parameters"/> carry the release's facts (service, version, slot or revision);
/// sources substitute them into the query safely, never by pasting raw text.
/// </summary>
public sealed record SliQuery(
    string Provider,
    string Query,
    SliWindow Window,
    IReadOnlyDictionary<string, string> Parameters,
    TimeSpan? Step = null,
    string? Aggregation = null,
    string? ExpectedUnit = null);

/// <summary>Reads SLIs from a monitoring system.</summary>
public interface ISliSource
{
    /// <summary>The provider name a policy uses to select this source.</summary>
    string Provider { get; }

    /// <summary>
    /// Runs the query. Returns a reading (possibly with no data and the reason);
    /// throws <see cref="IntegrationException"/> when the source failed.
    /// </summary>
    Task<SliReading> QueryAsync(SliQuery query, CancellationToken cancellationToken);
}
