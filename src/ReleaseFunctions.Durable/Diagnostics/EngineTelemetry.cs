using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ReleaseFunctions.Durable.Diagnostics;

/// <summary>Traces and metrics of the engine, for OpenTelemetry (source and meter "ReleaseFunctions.Durable").</summary>
internal static class EngineTelemetry
{
    public const string Name = "ReleaseFunctions.Durable";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Episodes = Meter.CreateCounter<long>("durable.episodes", description: "Orchestration episodes committed");
    public static readonly Counter<long> Activities = Meter.CreateCounter<long>("durable.activities", description: "Activity executions completed");
    public static readonly Histogram<double> TimerLateness = Meter.CreateHistogram<double>("durable.timer.lateness", unit: "ms", description: "Fired minus due, for durable timers");
    public static readonly Histogram<double> EpisodeDuration = Meter.CreateHistogram<double>("durable.episode.duration", unit: "ms", description: "Replay and commit time of an episode");
}
