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
}
