using System.Globalization;
using System.Text.Json;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Releases;

/// <summary>
/// The reference population <c>compare_to: previous-release</c>: what the service's previous promoted release recorded
/// for an objective in the same stage and gate, read from its audit trail. Its last measured step is used, the one
/// closest to all traffic; each of that step's measurements gives one value (its observed aggregate). A service with
/// no promoted release before, or one that never measured the objective there, has no reference: the gate is
/// inconclusive, never a pass.
/// </summary>
internal sealed class PreviousReleaseReference(IReleaseLedger ledger)
{
    /// <summary>Previous releases looked at for one with a promotion (the newest first).</summary>
    private const int Candidates = 20;

    /// <summary>The previous promoted release's series per objective name, and which release it was; empty when there is none.</summary>
    public async Task<(IReadOnlyDictionary<string, SliSeries> Series, string? Release)> ReadAsync(
        string service, string currentInstanceId, string stage, GateScope scope, IReadOnlyCollection<string> objectives, CancellationToken cancellationToken)
    {
        var page = await ledger.ListReleasesAsync(new ReleaseFilter(Service: service, Statuses: [ReleaseStatus.Promoted], PageSize: Candidates), cancellationToken);
        // The filter is the ledger's to apply; checked again here so a ledger that lists more cannot pick another service's release.
        var previous = page.Releases
            .Where(r => r.Status == ReleaseStatus.Promoted && string.Equals(r.Service, service, StringComparison.Ordinal) && r.InstanceId != currentInstanceId)
            .OrderByDescending(r => r.StartedAt)
            .FirstOrDefault();
        if (previous is null)
        {
            return (new Dictionary<string, SliSeries>(), null);
        }

        var measured = new List<(int Step, DateTimeOffset End, string Objective, double Observed)>();
        foreach (var record in await ledger.GetAuditTrailAsync(previous.InstanceId, cancellationToken))
        {
            if (record.Kind != "gate-measurement")
            {
                continue;
            }

            using var evidence = JsonDocument.Parse(record.EvidenceJson);
            var root = evidence.RootElement;
            if (Text(root, "stage") != stage || (Text(root, "scope") ?? nameof(GateScope.Stage)) != scope.ToString()
                || !root.TryGetProperty("step", out var step) || step.ValueKind != JsonValueKind.Number
                || !root.TryGetProperty("verdict", out var verdict) || verdict.ValueKind != JsonValueKind.Object
                || !verdict.TryGetProperty("objectives", out var evidences) || evidences.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            var end = root.TryGetProperty("window", out var window) && Text(window, "end") is { } text
                ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture)
                : record.At;
            foreach (var objective in evidences.EnumerateArray())
            {
                if (Text(objective, "objective") is { } name && objectives.Contains(name, StringComparer.OrdinalIgnoreCase)
                    && objective.TryGetProperty("observed", out var observed) && observed.ValueKind == JsonValueKind.Number)
                {
                    measured.Add((step.GetInt32(), end, name, observed.GetDouble()));
                }
            }
        }

        var series = new Dictionary<string, SliSeries>(StringComparer.OrdinalIgnoreCase);
        foreach (var group in measured.GroupBy(m => m.Objective, StringComparer.OrdinalIgnoreCase))
        {
            var lastStep = group.Max(m => m.Step);
            var values = group.Where(m => m.Step == lastStep).OrderBy(m => m.End).ToArray();
            series[group.Key] = new SliSeries(SliPopulations.PreviousRelease, values.Select(v => new SliSample(v.End, v.Observed)).ToArray())
            {
                Window = new SliWindow(values[0].End, values[^1].End.AddTicks(1)),
            };
        }

        return (series, previous.InstanceId);
    }

    private static string? Text(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
