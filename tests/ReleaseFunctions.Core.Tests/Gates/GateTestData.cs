using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Core.Tests.Gates;

internal static class GateTestData
{
    public static readonly SliWindow Window = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 23, 10, 10, 0, TimeSpan.Zero));

    public static SliSeries Series(string population, params double[] values) =>
        new(population, values.Select((v, i) => new SliSample(Window.Start.AddSeconds(i * 5), v)).ToArray());

    public static SliReading Reading(params SliSeries[] series) => SliReading.Of("query", Window, series);

    public static SliCriterion Criterion(string text) => SliCriterion.TryParse(text, out var error) ?? throw new InvalidOperationException(error);

    public static SliObjective Objective(
        string name, string pass, string? warning = null, int weight = 1, bool critical = false, bool mustHaveData = false,
        SliUnit unit = SliUnit.Number, SliAggregation aggregation = SliAggregation.Mean, ReferencePopulation compareTo = ReferencePopulation.Baseline) =>
        new(name, "sandbox", $"{name}-query", aggregation, unit,
            pass.Split(',').Select(Criterion).ToArray(),
            warning is null ? [] : warning.Split(',').Select(Criterion).ToArray(),
            weight, critical, mustHaveData, compareTo);
}
