using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DurableTask;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>
/// Records and status: every decision goes to the audit trail in order. While the ledger does not answer, entries
/// wait in the orchestration (durable with its history) and are written, oldest first, once it answers again; the
/// release does not end before they are, within <see cref="SettleDelays"/>.
/// </summary>
internal sealed class ReleaseTrail(ReleaseRun run)
{
    /// <summary>How long a finished release keeps trying to write the entries the ledger did not take (about a day in all).</summary>
    private static readonly TimeSpan[] SettleDelays =
        [.. Enumerable.Repeat(TimeSpan.FromMinutes(1), 5), .. Enumerable.Repeat(TimeSpan.FromMinutes(15), 8), .. Enumerable.Repeat(TimeSpan.FromHours(1), 22)];

    /// <summary>Once the ledger is known to be down, one attempt per entry: the release must not stall behind its records.</summary>
    private static readonly TaskOptions SingleAttempt = TaskOptions.FromRetryPolicy(new RetryPolicy(1, TimeSpan.FromSeconds(1)));

    // Enums by name, so an audit record reads the same to a person as to the dashboard.
    private static readonly JsonSerializerOptions EvidenceJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Entries the ledger has not taken yet, oldest first.</summary>
    private readonly List<ReleaseEventRecord> _unrecorded = new();
    private int _entries;
    private string? _ledgerError;
    private string _next = "received";

    private TaskOrchestrationContext Context => run.Context;

    public async Task RecordAsync(string kind, string actor, string reason, object? evidence)
    {
        var entry = new AuditEntry(run.InstanceId, run.Now, actor, kind, reason, JsonSerializer.Serialize(evidence ?? new { }, EvidenceJson));
        // The key is the entry's place in this release's trail: a write retried after a lost answer appends once.
        var key = $"{run.InstanceId}/audit/{(++_entries).ToString(CultureInfo.InvariantCulture)}";
        _unrecorded.Add(new ReleaseEventRecord(Snapshot(), entry, key));
        await FlushAsync();
        // After the entry: channels hear only what the trail holds, and never hold the release up.
        await ReleaseChannelNotices.SendAsync(run, this, entry);
    }

    /// <summary>Writes the waiting entries in order; false when the ledger still does not answer (they keep waiting).</summary>
    private async Task<bool> FlushAsync()
    {
        while (_unrecorded.Count > 0)
        {
            try
            {
                await Context.CallActivityAsync<long>(nameof(RecordReleaseEvent), _unrecorded[0], _ledgerError is null ? ReleaseRun.IoRetry : SingleAttempt);
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
    public async Task<ReleaseOutcome> SettleAsync(ReleaseOutcome outcome)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (await FlushAsync())
            {
                Context.SetCustomStatus(Progress(_next));
                return outcome;
            }

            if (attempt == SettleDelays.Length)
            {
                break;
            }

            var delay = SettleDelays[attempt];
            Context.SetCustomStatus(Progress($"{_unrecorded.Count} audit entries wait for the release ledger ({_ledgerError}); trying again in {delay}"));
            await Context.CreateTimer((run.Now + delay).UtcDateTime, CancellationToken.None);
        }

        var lost = _unrecorded.Select(r => new { r.Entry.Kind, r.Entry.At, r.Entry.Actor, r.Entry.Reason }).ToArray();
        Context.SetCustomStatus(Progress($"{_unrecorded.Count} audit entries could not be written to the release ledger ({_ledgerError}); they are kept in this output"));
        return outcome with { Reason = $"{outcome.Reason} ({_unrecorded.Count} audit entries could not be written: {_ledgerError})", Unrecorded = JsonSerializer.Serialize(lost, EvidenceJson) };
    }

    public async Task RefuseAsync(ReleaseCommand command, string reason)
    {
        await RecordAsync("command-refused", command.Actor, $"/{command.Slash()} from {command.Actor} refused: {reason}", new { command, reason });
        await PublishAsync($"/{command.Slash()} from {command.Actor} was refused: {reason}");
    }

    /// <summary>Tells people where the release stands and what comes next; the custom status says the same.</summary>
    public async Task PublishAsync(string next)
    {
        _next = next;
        Context.SetCustomStatus(Progress(next));
        var request = run.Request;
        var release = run.Release;
        var update = new ReleaseStatusUpdate(request.Id, request.Service, request.Version, release.Status, release.Stage, release.Step, run.StepCount, run.Weight,
            run.Gates.ToArray(), run.ApprovedBy.ToArray(), run.Summary, next, run.Now, request.InstallationId);
        try
        {
            await Context.CallActivityAsync<int>(nameof(PublishReleaseStatus), new ReleaseStatusPublication(update, run.NextIdempotencyKey("status")), ReleaseRun.IoRetry);
        }
        catch (TaskFailedException ex)
        {
            // People not hearing about a step must not stop the release; the trail says the update was lost.
            await RecordAsync("notification-failed", ReleaseRun.Workflow, $"the status update could not be published: {ex.FailureDetails.ErrorMessage}", new { next, error = ex.FailureDetails.ErrorMessage });
        }
    }

    /// <summary>Sets the custom status without telling anyone (a wait whose progress only the API and dashboard show).</summary>
    public void ShowProgress(string next, string? stage = null, int? step = null) => Context.SetCustomStatus(Progress(next, stage, step));

    private ReleaseRecord Snapshot()
    {
        var request = run.Request;
        var release = run.Release;
        return new ReleaseRecord(
            request.Id.InstanceId, request.Repository, request.PullRequest, request.MergeCommitSha, request.Service, request.Version,
            request.Title, request.Author, request.MergedAt, run.StartedAt, release.Status, release.Stage, release.Step, run.Weight, run.Summary,
            // Completed when the release became final: entries after it (notifications) do not move the time.
            run.Now, release.IsFinal ? release.LastTransition?.At ?? run.Now : null, release.Status == ReleaseStatus.RolledBack, request.InstallationId);
    }

    private ReleaseProgress Progress(string next, string? stage = null, int? step = null) =>
        new(run.Release.Status, stage ?? run.Release.Stage, step ?? run.Release.Step, run.StepCount, run.Weight, run.Summary, next,
            run.Gates.ToArray(), run.ApprovedBy.ToArray(), _unrecorded.Count);
}
