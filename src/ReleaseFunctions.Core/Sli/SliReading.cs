namespace ReleaseFunctions.Core.Sli;

/// <summary>One measured value of an SLI at an instant.</summary>
public readonly record struct SliSample(DateTimeOffset Timestamp, double Value);

/// <summary>
/// The samples of one SLI for one population (for example "canary" or "baseline"), in time order.
/// Samples whose value is NaN or infinite are dropped by the source and counted in <see cref="DroppedSamples"/>.
/// </summary>
public sealed record SliSeries
{
    public SliSeries(string population, IReadOnlyList<SliSample> samples, string? unit = null, int droppedSamples = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(population);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfNegative(droppedSamples);
        foreach (var sample in samples)
        {
            if (!double.IsFinite(sample.Value))
            {
                throw new ArgumentException($"SLI series '{population}' holds a non-finite value at {sample.Timestamp:O}; sources must drop those and count them.", nameof(samples));
            }
        }

        Population = population;
        Samples = samples.OrderBy(s => s.Timestamp).ToArray();
        Unit = unit;
        DroppedSamples = droppedSamples;
    }

    public string Population { get; }
    public IReadOnlyList<SliSample> Samples { get; }
    public string? Unit { get; }
    public int DroppedSamples { get; }

    /// <summary>The window this series covers when it is not its reading's (the pre-release population's); null: the reading's.</summary>
    public SliWindow? Window { get; init; }

    public bool IsEmpty => Samples.Count == 0;
}

/// <summary>
/// What an SLI source answered for one query: series of samples, or no data with the reason.
/// No data is never a pass; the gate turns it into an inconclusive verdict.
/// </summary>
public sealed record SliReading
{
    private SliReading(string query, SliWindow window, IReadOnlyList<SliSeries> series, string? noDataReason)
    {
        Query = query;
        Window = window;
        Series = series;
        NoDataReason = noDataReason;
    }

    public string Query { get; }
    public SliWindow Window { get; }
    public IReadOnlyList<SliSeries> Series { get; }

    /// <summary>Why there is no data; null when at least one series has samples.</summary>
    public string? NoDataReason { get; }

    public bool HasData => NoDataReason is null;

    public static SliReading Of(string query, SliWindow window, IReadOnlyList<SliSeries> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        return series.Any(s => !s.IsEmpty)
            ? new SliReading(query, window, series, null)
            : new SliReading(query, window, series, series.Count == 0 ? "the query returned no series" : "every series returned is empty");
    }

    public static SliReading NoData(string query, SliWindow window, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new SliReading(query, window, Array.Empty<SliSeries>(), reason);
    }

    /// <summary>The series for a population, or null.</summary>
    public SliSeries? For(string population) => Series.FirstOrDefault(s => string.Equals(s.Population, population, StringComparison.OrdinalIgnoreCase));
}
