using System.Globalization;
using System.Text.Json;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Durable;

namespace ReleaseFunctions.Releases;

/// <summary>
/// Records and status: every decision goes to the audit trail in order. While the ledger does not answer, entries
/// wait in the orchestration (durable with its history) and are written, oldest first, once it answers again; the
/// release does not end before they are, within <see cref="TrailSettleDelays"/>.
/// </summary>
internal sealed partial class ReleaseOrchestrator
{
    /// <summary>How long a finished release keeps trying to write the entries the ledger did not take (about a day in all).</summary>
    private static readonly TimeSpan[] TrailSettleDelays =
        [.. Enumerable.Repeat(TimeSpan.FromMinutes(1), 5), .. Enumerable.Repeat(TimeSpan.FromMinutes(15), 8), .. Enumerable.Repeat(TimeSpan.FromHours(1), 22)];

    private static readonly TaskOptions SingleAttempt = TaskOptions.WithRetry(new RetryPolicy(1, TimeSpan.FromSeconds(1)));

    /// <summary>Entries the ledger has not taken yet, oldest first.</summary>
    private readonly List<ReleaseEventRecord> _unrecorded = new();
    private int _entries;
    private string? _ledgerError;
    private string _next = "received";

    private async Task RecordAsync(string kind, string actor, string reason, object? evidence)
    {
        var entry = new AuditEntry(_request.Id.InstanceId, Now, actor, kind, reason, JsonSerializer.Serialize(evidence ?? new { }, EvidenceJson));
        // The key is the entry's place in this release's trail: a write retried after a lost answer appends once.
        var key = $"{_request.Id.InstanceId}/audit/{(++_entries).ToString(CultureInfo.InvariantCulture)}";
        _unrecorded.Add(new ReleaseEventRecord(Snapshot(), entry, key));
        await FlushTrailAsync();
    }

    /// <summary>Writes the waiting entries in order; false when the ledger still does not answer (they keep waiting).</summary>
    private async Task<bool> FlushTrailAsync()
    {
        while (_unrecorded.Count > 0)
        {
            try
            {
                // Once the ledger is known to be down, one attempt per entry: the release must not stall behind its records.
                await _context.CallActivityAsync<long>(nameof(RecordReleaseEvent), _unrecorded[0], _ledgerError is null ? IoRetry : SingleAttempt);
                _unrecorded.RemoveAt(0);
                _ledgerError = null;
            }
            catch (TaskFailedException ex)
            {
                _ledgerError = ex.FailureDetails.ErrorMessage;
                return false;
            }
        }

        return true;
    }

    /// <summary>Before the release ends, the entries the ledger did not take are written, waiting for it on durable timers.</summary>
    private async Task<ReleaseOutcome> SettleTrailAsync(ReleaseOutcome outcome)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (await FlushTrailAsync())
            {
                _context.SetCustomStatus(Progress(_next));
                return outcome;
            }

            if (attempt == TrailSettleDelays.Length)
            {
                break;
            }

            var delay = TrailSettleDelays[attempt];
            _context.SetCustomStatus(Progress($"{_unrecorded.Count} audit entries wait for the release ledger ({_ledgerError}); trying again in {delay}"));
            await _context.CreateTimer((Now + delay).UtcDateTime, CancellationToken.None);
        }

        var lost = _unrecorded.Select(r => new { r.Entry.Kind, r.Entry.At, r.Entry.Actor, r.Entry.Reason }).ToArray();
        _context.SetCustomStatus(Progress($"{_unrecorded.Count} audit entries could not be written to the release ledger ({_ledgerError}); they are kept in this output"));
        return outcome with { Reason = $"{outcome.Reason} ({_unrecorded.Count} audit entries could not be written: {_ledgerError})", Unrecorded = JsonSerializer.Serialize(lost, EvidenceJson) };
    }

    private ReleaseRecord Snapshot() => new(
        _request.Id.InstanceId, _request.Repository, _request.PullRequest, _request.MergeCommitSha, _request.Service, _request.Version,
        _request.Title, _request.Author, _request.MergedAt, _startedAt, _release.Status, _release.Stage, _release.Step, _weight, _summary,
        Now, _release.IsFinal ? Now : null, _release.Status == ReleaseStatus.RolledBack, _request.InstallationId);

    private ReleaseProgress Progress(string next, string? stage = null, int? step = null) =>
        new(_release.Status, stage ?? _release.Stage, step ?? _release.Step, _stepCount, _weight, _summary, next, _gates.ToArray(), _approvedBy.ToArray(), _unrecorded.Count);

    private async Task RefuseAsync(ReleaseCommand command, string reason)
    {
        await RecordAsync("command-refused", command.Actor, $"/{command.Kind.ToString().ToLowerInvariant()} from {command.Actor} refused: {reason}", new { command, reason });
        await PublishAsync($"/{command.Kind.ToString().ToLowerInvariant()} from {command.Actor} was refused: {reason}");
    }

    private async Task PublishAsync(string next)
    {
        _next = next;
        _context.SetCustomStatus(Progress(next));
        var update = new ReleaseStatusUpdate(_request.Id, _request.Service, _request.Version, _release.Status, _release.Stage, _release.Step, _stepCount, _weight,
            _gates.ToArray(), _approvedBy.ToArray(), _summary, next, Now, _request.InstallationId);
        try
        {
            await _context.CallActivityAsync<int>(nameof(PublishReleaseStatus), update, IoRetry);
        }
        catch (TaskFailedException ex)
        {
            // People not hearing about a step must not stop the release; the trail says the update was lost.
            await RecordAsync("notification-failed", Workflow, $"the status update could not be published: {ex.FailureDetails.ErrorMessage}", new { next, error = ex.FailureDetails.ErrorMessage });
        }
    }
}
