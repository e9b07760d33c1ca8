namespace ReleaseFunctions.Core.Gates;

/// <summary>How an objective reduces a series of samples to the one value its criteria compare.</summary>
public enum SliAggregation
{
    Mean,
    Median,
    P90,
    P95,
    P99,
    Min,
    Max,
    Sum,
    /// <summary>The latest sample: for sources that already aggregate over the window.</summary>
    Last,
}

internal static class SliAggregator
{
    public static double Aggregate(SliAggregation aggregation, IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("Cannot aggregate an empty series.", nameof(values));
        }

        return aggregation switch
        {
            SliAggregation.Mean => values.Average(),
            SliAggregation.Median => Percentile(values, 50),
            SliAggregation.P90 => Percentile(values, 90),
            SliAggregation.P95 => Percentile(values, 95),
            SliAggregation.P99 => Percentile(values, 99),
            SliAggregation.Min => values.Min(),
            SliAggregation.Max => values.Max(),
            SliAggregation.Sum => values.Sum(),
            SliAggregation.Last => values[^1],
            _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown aggregation."),
        };
    }

    /// <summary>The percentile with linear interpolation between closest ranks (the common "type 7" definition).</summary>
    public static double Percentile(IReadOnlyList<double> values, double percent)
    {
        var sorted = values.Order().ToArray();
        var position = (sorted.Length - 1) * percent / 100.0;
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }
}
