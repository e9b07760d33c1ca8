using System.Text.Json;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Migrations;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Reviews;

/// <summary>
/// The contract step of a policy's migrations, from the review timer: run only for a promoted release whose
/// post-release review shows no regression (every objective of its last stage's gate, after the release against
/// before it, judged by the gate's own criteria); never for one that was rolled back or failed. Decided once per
/// release and recorded in its trail, with which steps ran. A running step is read again at the next timer run, and
/// the review is published once the step is decided.
/// </summary>
internal sealed class MigrationContract(IPolicySource policies, IReleaseLedger ledger, IEnumerable<IMigrationRunner> runners, TimeProvider time)
{
    private const string Actor = "post-release-review";
    private static readonly JsonSerializerOptions EvidenceJson = new(JsonSerializerDefaults.Web);
    private static readonly string[] Decisions = ["migration-contracted", "migration-contract-skipped", "migration-contract-failed"];

    /// <summary>True when the contract step is decided (ran, was skipped, failed, or the policy has none); false while it runs.</summary>
    public async Task<bool> RunAsync(ReleaseRecord release, ReleaseReview review, CancellationToken cancellationToken)
    {
        var id = new ReleaseId(release.Repository, release.PullRequest, release.MergeCommitSha);
        var policy = ReleasePolicyParser.Parse((await policies.ReadAsync(id, release.InstallationId, cancellationToken)).Yaml).Policy;
        if (policy?.Migrations?.Contract is not { } contract)
        {
            return true;
        }

        var trail = await ledger.GetAuditTrailAsync(release.InstanceId, cancellationToken);
        if (trail.Any(r => Decisions.Contains(r.Kind)))
        {
            return true;
        }

        var expand = policy.Migrations.Expand is { } step
            ? trail.Any(r => r.Kind == "migration-applied") ? $"the expand step {step.Migration} ran" : $"the expand step {step.Migration} did not complete"
            : "there is no expand step";
        if (release.Status != ReleaseStatus.Promoted)
        {
            await RecordAsync(release, "migration-contract-skipped", $"contract migration {contract.Migration} not run: the release ended {release.Status} (a release that was not promoted never contracts); {expand}",
                new { phase = "contract", contract.Migration, release.Status, expandRan = expand }, cancellationToken);
            return true;
        }

        var (regressions, unproven) = Judge(policy, review);
        if (regressions.Count > 0 || unproven.Count > 0)
        {
            var why = regressions.Count > 0 ? $"the post-release review found a regression: {string.Join("; ", regressions)}" : $"the post-release review cannot show no regression: {string.Join("; ", unproven)}";
            await RecordAsync(release, "migration-contract-skipped", $"contract migration {contract.Migration} not run: {why}; {expand}; run it by hand once the service is understood",
                new { phase = "contract", contract.Migration, regressions, unproven, review.Slis }, cancellationToken);
            return true;
        }

        var runner = runners.FirstOrDefault();
        if (runner is null)
        {
            await RecordAsync(release, "migration-contract-failed", $"contract migration {contract.Migration} not run: no migration hook is configured (ReleaseFunctions__Migrations__Url and __Secret)",
                new { phase = "contract", contract.Migration }, cancellationToken);
            return true;
        }

        var request = new MigrationRequest(release.InstanceId, release.Service, release.Version, MigrationPhase.Contract, contract.Migration, $"{release.InstanceId}/migration-contract");
        var started = trail.FirstOrDefault(r => r.Kind == "migration-contract-started");
        if (started is null)
        {
            var report = await runner.StartAsync(request, cancellationToken);
            started = await RecordAsync(release, "migration-contract-started", $"contract migration {contract.Migration} started after a review without regression: {report.Detail}",
                new { phase = "contract", contract.Migration, report, review.Slis }, cancellationToken);
        }

        // Counted once a separate read says it is applied, as for the expand step.
        var read = await runner.ReadAsync(request, cancellationToken);
        switch (read.State)
        {
            case MigrationState.Applied:
                await RecordAsync(release, "migration-contracted", $"contract migration {contract.Migration} read back applied: {read.Detail}; {expand}", new { phase = "contract", contract.Migration, read }, cancellationToken);
                return true;
            case MigrationState.Failed:
                await RecordAsync(release, "migration-contract-failed", $"contract migration {contract.Migration} failed: {read.Detail}", new { phase = "contract", contract.Migration, read }, cancellationToken);
                return true;
            default:
                if (time.GetUtcNow() - started.At < contract.Timeout)
                {
                    return false;
                }

                await RecordAsync(release, "migration-contract-failed", $"contract migration {contract.Migration} was not read back applied within {PolicyValues.FormatDuration(contract.Timeout)}: {read.Detail}",
                    new { phase = "contract", contract.Migration, read }, cancellationToken);
                return true;
        }
    }

    /// <summary>
    /// Each objective of the last stage's gate, after the release (as the candidate) against before it (as every
    /// reference population), by the gate's own criteria: a failure is a regression, no data cannot show there is none.
    /// </summary>
    private static (IReadOnlyList<string> Regressions, IReadOnlyList<string> Unproven) Judge(ReleasePolicy policy, ReleaseReview review)
    {
        var regressions = new List<string>();
        var unproven = new List<string>();
        if (policy.Stages[^1].Gate is not { } gate)
        {
            return (regressions, ["the last stage has no gate to judge the review by"]);
        }

        var window = new SliWindow(review.ReviewedAt.AddSeconds(-1), review.ReviewedAt);
        var readings = new Dictionary<string, SliReading>(StringComparer.Ordinal);
        foreach (var objective in gate.Objectives)
        {
            if (review.Slis.FirstOrDefault(s => string.Equals(s.Objective, objective.Name, StringComparison.OrdinalIgnoreCase)) is not { Before: { } before, After: { } after })
            {
                continue;
            }

            SliSeries Of(string population, double value) => new(population, [new SliSample(window.Start, value)]);
            readings[objective.Name] = SliReading.Of(objective.Query, window,
                [Of(SliPopulations.Canary, after), Of(SliPopulations.Baseline, before), Of(SliPopulations.PreRelease, before), Of(SliPopulations.PreviousRelease, before)]);
        }

        foreach (var evidence in GateEvaluator.Evaluate(gate, readings).Objectives)
        {
            switch (evidence.Outcome)
            {
                case GateOutcome.Fail when evidence.Observed is not null:
                    regressions.Add(evidence.Reason);
                    break;
                case GateOutcome.Fail or GateOutcome.Inconclusive:
                    unproven.Add($"{evidence.Objective}: no data before and after the release");
                    break;
            }
        }

        return (regressions, unproven);
    }

    private async Task<AuditRecord> RecordAsync(ReleaseRecord release, string kind, string reason, object evidence, CancellationToken cancellationToken)
    {
        var entry = new AuditEntry(release.InstanceId, time.GetUtcNow(), Actor, kind, reason, JsonSerializer.Serialize(evidence, EvidenceJson));
        return await ledger.RecordAsync(release, entry, $"{release.InstanceId}/{kind}", cancellationToken);
    }
}
