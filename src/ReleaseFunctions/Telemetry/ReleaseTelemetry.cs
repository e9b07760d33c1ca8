using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Telemetry;

/// <summary>
/// The release workflow's traces and metrics, under one name for both (<see cref="Name"/>). Only the workflow's
/// activities emit them: an orchestrator replays its code, an activity's completed result is not run again, so a
/// release is counted once. Without a listener (no exporter configured) every instrument is a no-op.
/// </summary>
public static class ReleaseTelemetry
{
    /// <summary>The <see cref="ActivitySource"/> and <see cref="Meter"/> name exporters subscribe to.</summary>
    public const string Name = "ReleaseFunctions.Releases";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Started = Meter.CreateCounter<long>("releases.started", "{release}", "Releases whose workflow started.");

    public static readonly Counter<long> Promoted = Meter.CreateCounter<long>("releases.promoted", "{release}", "Releases promoted to every stage.");

    public static readonly Counter<long> RolledBack = Meter.CreateCounter<long>("releases.rolled_back", "{release}", "Releases rolled back, traffic verified on the stable version.");

    public static readonly Counter<long> RollbackFailed = Meter.CreateCounter<long>("releases.rollback_failed", "{release}", "Releases whose rollback could not be verified.");

    public static readonly Counter<long> GateVerdicts = Meter.CreateCounter<long>("releases.gate.verdicts", "{verdict}", "Gate verdicts, tagged verdict (pass, fail, inconclusive) and gate.");

    public static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>("releases.step.duration", "s", "Time of a rollout step, from its traffic shift to its gate's verdict.");

    /// <summary>
    /// Counts what one audit entry says, after the ledger took it: the one point every decision of the workflow passes.
    /// Durations come from the entries' own (orchestration) timestamps, never the wall clock.
    /// </summary>
    public static void OnRecorded(ReleaseRecord release, AuditEntry entry)
    {
        var service = new KeyValuePair<string, object?>("service", release.Service);
        switch (entry.Kind)
        {
            case "release-received":
                Started.Add(1, service);
                break;
            case "promoted":
                Promoted.Add(1, service);
                break;
            case "rolled-back":
                RolledBack.Add(1, service);
                break;
            case "rollback-failed":
                RollbackFailed.Add(1, service);
                break;
            case AuditKinds.GateVerdict:
                OnGateVerdict(release, entry);
                break;
        }
    }

    private static void OnGateVerdict(ReleaseRecord release, AuditEntry entry)
    {
        // Evidence written by the workflow: { stage, step, scope, since, result: { status } }. Telemetry must never fail
        // the recording it follows: evidence that does not read is not counted.
        JsonDocument evidence;
        try
        {
            evidence = JsonDocument.Parse(entry.EvidenceJson);
        }
        catch (JsonException)
        {
            return;
        }

        using var _ = evidence;
        var root = evidence.RootElement;
        var stage = Text(root, "stage") ?? release.Stage ?? "unknown";
        var scope = Text(root, "scope") ?? "Stage";
        var status = root.TryGetProperty("result", out var result) ? Text(result, "status") : null;
        var verdict = status switch
        {
            "Pass" or "Warning" => "pass",
            "Fail" => "fail",
            _ => "inconclusive",
        };
        var gate = scope == "Stage" ? stage : $"{stage}/{scope}";
        GateVerdicts.Add(1, new("verdict", verdict), new("gate", gate), new("service", release.Service));

        if (root.TryGetProperty("since", out var since) && since.TryGetDateTimeOffset(out var stepStart) && entry.At >= stepStart)
        {
            var step = root.TryGetProperty("step", out var s) && s.TryGetInt32(out var n) ? n : release.Step;
            StepDuration.Record((entry.At - stepStart).TotalSeconds, new("stage", stage), new("step", step), new("service", release.Service));
        }
    }

    private static string? Text(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
