using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Integrations.Http;

/// <summary>
/// Gathers one population's samples as an SLI adapter reads them off the wire: samples outside the window are left
/// out, nulls, NaN and infinities are dropped and counted (an SLI series holds finite values only).
/// </summary>
internal sealed class SliSampleCollector(string population, SliWindow window)
{
    private readonly List<SliSample> _samples = [];
    private int _dropped;

    public string Population { get; } = population;

    public void Add(DateTimeOffset timestamp, double? value)
    {
        if (!window.Contains(timestamp))
        {
            return;
        }

        if (value is { } v && double.IsFinite(v))
        {
            _samples.Add(new SliSample(timestamp, v));
        }
        else
        {
            _dropped++;
        }
    }

    public SliSeries ToSeries(string? unit, Func<double, double>? convert = null)
        => new(Population, convert is null ? _samples : _samples.Select(s => s with { Value = convert(s.Value) }).ToArray(), unit, _dropped);
}
