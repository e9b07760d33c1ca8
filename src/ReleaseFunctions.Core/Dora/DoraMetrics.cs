namespace ReleaseFunctions.Core.Dora;

/// <summary>DORA performance bands (State of DevOps 2023 thresholds, per metric).</summary>
public enum DoraBand
{
    Elite,
    High,
    Medium,
    Low,
}

/// <summary>The band of each metric; null where the metric has no value.</summary>
public sealed record DoraBands(DoraBand DeploymentFrequency, DoraBand? LeadTime, DoraBand? ChangeFailureRate, DoraBand? TimeToRestore);

/// <summary>
/// DORA metrics of one repository over [<see cref="PeriodStart"/>, <see cref="PeriodEnd"/>).
/// A release counts in the period in which it completed; aborted and unfinished releases are not deployments.
/// </summary>
/// <param name="Deployments">Promoted, rolled-back and failed releases.</param>
/// <param name="DeploymentsPerDay">Successful (promoted) deployments per day of the period.</param>
/// <param name="MedianLeadTime">Median of first commit (or merge) to promotion, over promoted releases.</param>
/// <param name="ChangeFailureRate">Rolled-back and failed releases over all deployments, from 0 to 1.</param>
/// <param name="MedianTimeToRestore">Median of release start to restore, over failed changes that were restored.</param>
/// <param name="UnrestoredFailures">Failed changes with no restore time yet (not in the median).</param>
public sealed record DoraMetrics(
    string Repository,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    int Deployments,
    int SuccessfulDeployments,
    int FailedChanges,
    double DeploymentsPerDay,
    TimeSpan? MedianLeadTime,
    double? ChangeFailureRate,
    TimeSpan? MedianTimeToRestore,
    int UnrestoredFailures,
    DoraBands Bands);

/// <summary>Computes DORA metrics from release records. Pure.</summary>
public static class DoraCalculator
{
    /// <summary>Metrics per repository (case-insensitive) for every repository with a record completed in the period.</summary>
    public static IReadOnlyDictionary<string, DoraMetrics> ComputeByRepository(IEnumerable<DeploymentRecord> records, DateTimeOffset periodStart, DateTimeOffset periodEnd)
    {
        ArgumentNullException.ThrowIfNull(records);
        var list = records.ToArray();
        return list.Where(r => r.CompletedAt >= periodStart && r.CompletedAt < periodEnd)
            .Select(r => r.Repository).Distinct(StringComparer.OrdinalIgnoreCase)
            .ToDictionary(repository => repository, repository => Compute(list, repository, periodStart, periodEnd), StringComparer.OrdinalIgnoreCase);
    }

    public static DoraMetrics Compute(IEnumerable<DeploymentRecord> records, string repository, DateTimeOffset periodStart, DateTimeOffset periodEnd)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        if (periodEnd <= periodStart)
        {
            throw new ArgumentException($"A period must end after it starts; got [{periodStart:O}, {periodEnd:O}).", nameof(periodEnd));
        }

        var deployments = records
            .Where(r => string.Equals(r.Repository, repository, StringComparison.OrdinalIgnoreCase))
            .Where(r => r.CompletedAt >= periodStart && r.CompletedAt < periodEnd && r.Outcome != DeploymentOutcome.Aborted)
            .ToArray();
        var promoted = deployments.Where(r => r.Outcome == DeploymentOutcome.Promoted).ToArray();
        var failed = deployments.Where(r => r.IsFailedChange).ToArray();
        var restored = failed.Where(r => r.RestoredAt is not null).ToArray();

        var perDay = promoted.Length / (periodEnd - periodStart).TotalDays;
        var leadTime = Median(promoted.Select(r => r.CompletedAt!.Value - (r.FirstCommitAt ?? r.MergedAt)));
        double? failureRate = deployments.Length == 0 ? null : failed.Length / (double)deployments.Length;
        var timeToRestore = Median(restored.Select(r => r.RestoredAt!.Value - r.StartedAt));

        var bands = new DoraBands(
            perDay >= 1 ? DoraBand.Elite : perDay >= 1 / 7.0 ? DoraBand.High : perDay >= 1 / 30.0 ? DoraBand.Medium : DoraBand.Low,
            leadTime is { } lt ? lt < TimeSpan.FromDays(1) ? DoraBand.Elite : lt < TimeSpan.FromDays(7) ? DoraBand.High : lt < TimeSpan.FromDays(30) ? DoraBand.Medium : DoraBand.Low : null,
            failureRate is { } cfr ? cfr <= 0.05 ? DoraBand.Elite : cfr <= 0.10 ? DoraBand.High : cfr <= 0.15 ? DoraBand.Medium : DoraBand.Low : null,
            timeToRestore is { } ttr ? ttr < TimeSpan.FromHours(1) ? DoraBand.Elite : ttr < TimeSpan.FromDays(1) ? DoraBand.High : ttr < TimeSpan.FromDays(7) ? DoraBand.Medium : DoraBand.Low : null);

        return new DoraMetrics(repository, periodStart, periodEnd, deployments.Length, promoted.Length, failed.Length, perDay,
            leadTime, failureRate, timeToRestore, failed.Length - restored.Length, bands);
    }

    private static TimeSpan? Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : sorted[middle - 1] + (sorted[middle] - sorted[middle - 1]) / 2;
    }
}
