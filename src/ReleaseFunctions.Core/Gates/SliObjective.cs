using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Core.Gates;

/// <summary>How an objective's values are expressed; decides what an absolute percentage threshold means.</summary>
public enum SliUnit
{
    /// <summary>A plain number (milliseconds, requests per second...). Percentage thresholds are not allowed.</summary>
    Number,
    /// <summary>A fraction from 0 to 1: "1%" means 0.01. Shown as a percentage.</summary>
    Ratio,
    /// <summary>Already a percentage: "1%" means 1.</summary>
    Percent,
}

/// <summary>
/// One SLI objective of a gate: what to query, how to aggregate it, and the criteria it must meet.
/// All <see cref="Pass"/> criteria must hold for a pass; failing that, all <see cref="Warning"/> criteria
/// (if any) must hold for a warning; otherwise the objective fails.
/// </summary>
public sealed record SliObjective
{
    public SliObjective(
        string name,
        string provider,
        string query,
        SliAggregation aggregation,
        SliUnit unit,
        IReadOnlyList<SliCriterion> pass,
        IReadOnlyList<SliCriterion> warning,
        int weight = 1,
        bool critical = false,
        bool mustHaveData = false,
        ReferencePopulation compareTo = ReferencePopulation.Baseline,
        IReadOnlyDictionary<string, string>? parameters = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(warning);
        if (pass.Count == 0)
        {
            throw new ArgumentException($"Objective '{name}' needs at least one pass criterion.", nameof(pass));
        }

        if (weight < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, $"Objective '{name}': a weight is a positive integer.");
        }

        if (unit == SliUnit.Number && pass.Concat(warning).OfType<AbsoluteCriterion>().Any(c => c.IsPercent))
        {
            throw new ArgumentException($"Objective '{name}': a percentage threshold needs unit 'ratio' or 'percent'.", nameof(unit));
        }

        Name = name;
        Provider = provider;
        Query = query;
        Aggregation = aggregation;
        Unit = unit;
        Pass = pass;
        Warning = warning;
        Weight = weight;
        Critical = critical;
        MustHaveData = mustHaveData;
        CompareTo = compareTo;
        Parameters = parameters ?? new Dictionary<string, string>();
    }

    public string Name { get; }

    /// <summary>The SLI source (<see cref="Ports.ISliSource.Provider"/>).</summary>
    public string Provider { get; }

    public string Query { get; }
    public SliAggregation Aggregation { get; }
    public SliUnit Unit { get; }
    public IReadOnlyList<SliCriterion> Pass { get; }
    public IReadOnlyList<SliCriterion> Warning { get; }

    /// <summary>Share of the gate's score; a pass earns the full weight, a warning half, a failure none.</summary>
    public int Weight { get; }

    /// <summary>A critical objective that fails fails the gate whatever the score.</summary>
    public bool Critical { get; }

    /// <summary>When true, no data fails this objective instead of making it inconclusive.</summary>
    public bool MustHaveData { get; }

    /// <summary>The population relative criteria compare with.</summary>
    public ReferencePopulation CompareTo { get; }

    /// <summary>
    /// The objective's own parameters for its SLI source (for Azure Monitor metrics: <c>resource_id</c>,
    /// <c>metric_namespace</c>, <c>filter</c>...), also values for the query's <c>{name}</c> placeholders.
    /// </summary>
    public IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>Whether any criterion needs the reference population.</summary>
    public bool NeedsReference => Pass.Concat(Warning).Any(c => c is RelativeCriterion);

    /// <summary>
    /// The query an <see cref="ISliSource"/> runs for this objective over <paramref name="window"/>, with the release's
    /// facts (service, version, stage...) as <paramref name="parameters"/> and the objective's own <see cref="Parameters"/>
    /// added (a release fact is never overridden by an objective parameter of the same name).
    /// </summary>
    public SliQuery ToQuery(SliWindow window, IReadOnlyDictionary<string, string> parameters, TimeSpan? step = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var merged = new Dictionary<string, string>(Parameters, StringComparer.Ordinal);
        foreach (var (name, value) in parameters)
        {
            merged[name] = value;
        }

        return new(Provider, Query, window, merged, step,
            Aggregation.ToString().ToLowerInvariant(), Unit == SliUnit.Number ? null : Unit.ToString().ToLowerInvariant()); // a plain number names no unit to convert to
    }
}
