using System.Globalization;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Core.Dora;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Hosting.Functions;

namespace ReleaseFunctions.Dora;

/// <summary>
/// The weekly DORA summary: for the last whole week (Monday 00:00 UTC included to the next Monday 00:00 excluded),
/// the four metrics of every repository that finished a release in it, kept in the ledger and logged. Idempotent: a
/// timer that fires twice, or late in the same week, summarises the same week and keeps nothing twice.
/// </summary>
internal sealed partial class DoraSummaryFunction(
    IReleaseLedger ledger,
    IDoraSummaries summaries,
    TimeProvider time,
    ILogger<DoraSummaryFunction> logger) : ITimerFunction
{
    public const string Name = "DoraSummary";

    /// <summary>Mondays at 06:00 UTC.</summary>
    public const string Schedule = "0 0 6 * * MON";

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var (start, end) = LastWholeWeek(time.GetUtcNow());
        var deployments = await LedgerDeployments.ListAsync(ledger, repository: null, end, cancellationToken);
        foreach (var metrics in DoraCalculator.ComputeByRepository(deployments, start, end).Values.OrderBy(m => m.Repository, StringComparer.Ordinal))
        {
            if (await summaries.SaveAsync(metrics, cancellationToken))
            {
                Summarised(logger, metrics.Repository, start, end, metrics.Deployments, metrics.DeploymentsPerDay,
                    metrics.MedianLeadTime?.ToString("c", CultureInfo.InvariantCulture) ?? "none",
                    metrics.ChangeFailureRate is { } rate ? rate.ToString("P0", CultureInfo.InvariantCulture) : "none",
                    metrics.MedianTimeToRestore?.ToString("c", CultureInfo.InvariantCulture) ?? "none");
            }
        }
    }

    /// <summary>The whole ISO week (Monday to Monday, UTC) before the one <paramref name="now"/> is in.</summary>
    internal static (DateTimeOffset Start, DateTimeOffset End) LastWholeWeek(DateTimeOffset now)
    {
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var daysSinceMonday = ((int)today.DayOfWeek + 6) % 7;
        var end = today.AddDays(-daysSinceMonday);
        return (end.AddDays(-7), end);
    }

    [LoggerMessage(EventId = 7200, Level = LogLevel.Information,
        Message = "DORA summary of {Repository} for [{Start:O}, {End:O}): {Deployments} deployments, {PerDay:0.##}/day, lead time {LeadTime}, change failure rate {FailureRate}, time to restore {TimeToRestore}")]
    private static partial void Summarised(ILogger logger, string repository, DateTimeOffset start, DateTimeOffset end, int deployments, double perDay, string leadTime, string failureRate, string timeToRestore);
}
