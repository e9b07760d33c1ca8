namespace ReleaseFunctions.Core.Gates;

/// <summary>
/// The population names an SLI source labels its series with (<see cref="Sli.SliSeries.Population"/>).
/// Sources and gates agree on these names only through this class.
/// </summary>
public static class SliPopulations
{
    /// <summary>The new version: the canary, the idle blue-green slot under check, or the directly deployed version.</summary>
    public const string Canary = "canary";

    /// <summary>The stable version measured over the same window as the canary.</summary>
    public const string Baseline = "baseline";

    /// <summary>The service as it was in the window of the same length before the release started.</summary>
    public const string PreRelease = "pre-release";

    /// <summary>The values the service's previous promoted release recorded for the objective, one per measurement of its last step.</summary>
    public const string PreviousRelease = "previous-release";

    /// <summary>The population relative criteria compare with, by the objective's <see cref="ReferencePopulation"/>.</summary>
    public static string Of(ReferencePopulation reference) => reference switch
    {
        ReferencePopulation.Baseline => Baseline,
        ReferencePopulation.PreRelease => PreRelease,
        ReferencePopulation.PreviousRelease => PreviousRelease,
        _ => throw new ArgumentOutOfRangeException(nameof(reference), reference, "Unknown reference population."),
    };
}
