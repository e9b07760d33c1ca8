using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// The safety invariant under faults, on the SDK's worker over the embedded backend: every activity the release workflow calls fails for
/// good from a point of a canary release on (before the first shift, mid-soak, during a gate, during an approval
/// wait, during the rollback, during the promotion). Whatever fails, the release ends promoted at 100%, rolled back
/// (or aborted, or failed) with the target read at 0%, or rollback-failed with the last weight read and an alert;
/// never with traffic silently left on the candidate. A ledger that fails gets every entry once it answers again.
/// </summary>
public sealed class ReleaseFaultMatrixTests
{
    private const string Policy = """
        version: 1
        stages:
          - name: production
            target: { provider: sandbox }
            strategy:
              canary:
                steps:
                  - { weight: 10, soak: 10m }
                  - { weight: 50, soak: 10m }
            gate:
              provider: prometheus
              analysis: { interval: 1m, count: 2, failure_limit: 0, inconclusive_limit: 0, consecutive_error_limit: 1 }
              alerts: { provider: alertmanager, matchers: ['service="{service}"'] }
              burn_rate: { objective: error_rate, slo: 90% }
              objectives:
                - name: error_rate
                  query: error_rate
                  aggregation: mean
                  unit: ratio
                  pass: "< 1%"
                  critical: true
            approvals:
              - users: [alice]
                teams: [contoso/sre]
                quorum: 1
                before_step: 2
                timeout: 1h
                on_timeout: reject
        preflight: {}
        migrations:
          expand: { migration: 2026-12-orders-add-currency }
        release: {}
        error_budget:
          slo: 99.9%
          window: 28d
          provider: prometheus
          good_events: good
          total_events: total
        """;

    private const string BeforeFirstShift = "before-first-shift", MidSoak = "mid-soak", DuringGate = "during-gate",
        DuringApprovalWait = "during-approval-wait", DuringRollback = "during-rollback", DuringPromotion = "during-promotion";

    private static readonly string[] EveryPoint = [BeforeFirstShift, MidSoak, DuringGate, DuringApprovalWait, DuringRollback, DuringPromotion];

    /// <summary>
    /// Every activity the release orchestrator calls, with the points after which it is still called (a fault
    /// armed later never fires). ReadTraffic runs only when the rollback calls fail, so it fails with ShiftTraffic.
    /// NotifyChannels needs channel settings the policy here does not name; a channel that fails is in NotificationTests.
    /// </summary>
    private static readonly (string[] Activities, string[] Points)[] Faults =
    [
        ([nameof(ResolveReleasePolicy)], [BeforeFirstShift]),
        ([nameof(ReadErrorBudget)], [BeforeFirstShift]),
        ([nameof(ReadPreflight)], [BeforeFirstShift]),
        ([nameof(StartMigration), nameof(ReadMigration)], [BeforeFirstShift]),
        ([nameof(ReadMigration)], [BeforeFirstShift]),
        ([nameof(WatchSoak)], [BeforeFirstShift, MidSoak, DuringGate, DuringApprovalWait]),
        ([nameof(PublishReleaseVersion)], [DuringPromotion]),
        ([RequestLaneActivity.Name], EveryPoint),
        ([nameof(ShiftTraffic)], EveryPoint),
        ([nameof(ShiftTraffic), nameof(ReadTraffic)], EveryPoint),
        ([nameof(MeasureGate)], [BeforeFirstShift, MidSoak, DuringGate, DuringApprovalWait]),
        ([nameof(ResolveApproverTeams)], [BeforeFirstShift, MidSoak, DuringGate, DuringApprovalWait]),
        ([nameof(RecordReleaseEvent)], EveryPoint),
        ([nameof(PublishReleaseStatus)], EveryPoint),
    ];

    /// <summary>Where the fault starts: the first activity call that matches arms it, for good.</summary>
    private static readonly Dictionary<string, Func<string, object?, bool>> Points = new()
    {
        [BeforeFirstShift] = (_, _) => true,
        [MidSoak] = (name, input) => name == nameof(PublishReleaseStatus) && input is ReleaseStatusPublication { Update.NextStep: var next } && next.StartsWith("soaking", StringComparison.Ordinal),
        [DuringGate] = (name, _) => name == nameof(MeasureGate),
        [DuringApprovalWait] = (name, input) => name == nameof(PublishReleaseStatus) && input is ReleaseStatusPublication { Update.Status: ReleaseStatus.WaitingForApproval },
        [DuringRollback] = (name, input) => input is TrafficShift { Action: TrafficAction.Rollback },
        [DuringPromotion] = (name, input) => input is TrafficShift { Action: TrafficAction.Promote },
    };

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var (activities, points) in Faults)
        {
            foreach (var point in points)
            {
                cases.Add(string.Join("+", activities), point);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_permanent_fault_never_strands_traffic_on_the_candidate(string activity, string point)
    {
        var faults = new FaultPlan(activity.Split('+'), Points[point]);
        var migrations = new FakeMigrationRunner();
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policy, decorateActivity: (name, inner) => new FaultyActivity(name, inner, faults),
            addServices: services => services.AddSingleton<IMigrationRunner>(sp => { migrations.Clock = sp.GetRequiredService<TimeProvider>(); return migrations; }));
        h.Sli.Count = q => q == "good" ? 999_990 : 1_000_000;
        // The rollback points need a gate that fails at 50%; the promotion point a candidate that stays healthy.
        h.Sli.Canary = (_, weight) => point != DuringPromotion && weight >= 50 ? 0.2 : 0.001;
        h.Directory.Members["contoso/sre"] = ["alice"];
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await DriveAsync(h, id, faults);
        var outcome = await h.OutcomeAsync(id);

        Assert.True(faults.Injected > 0, $"the fault at {point} never fired for {activity}");
        var audit = await h.AuditAsync(id);
        var weight = h.Target.Weight;
        switch (outcome.Status)
        {
            case ReleaseStatus.Promoted:
                Assert.Equal(100, weight);
                break;
            case ReleaseStatus.RolledBack or ReleaseStatus.Aborted or ReleaseStatus.Failed:
                Assert.True(weight == 0, $"{outcome.Status} with {weight}% left on the candidate ({activity} failing {point}): {outcome.Reason}");
                break;
            case ReleaseStatus.RollbackFailed:
                // Only a target that cannot be moved can make a rollback fail; people are told, and the trail has the weight read.
                Assert.StartsWith(nameof(ShiftTraffic), activity);
                var failed = Assert.Single(audit, r => r.Kind == "rollback-failed");
                Assert.Contains("lastWeightRead", failed.EvidenceJson);
                Assert.Contains(h.Notifier.Updates, u => u.Status == ReleaseStatus.RollbackFailed);
                Assert.Equal(ReleaseStatus.RollbackFailed, (await h.ProgressAsync(id))!.Status);
                break;
            default:
                Assert.Fail($"the release ended {outcome.Status}: {outcome.Reason}");
                break;
        }

        // The trail is whole, in order and intact, the ledger failing included: the buffered entries were written when it answered.
        Assert.True(AuditChain.Verify(audit, InMemoryLedger.ChainKey).IsIntact);
        Assert.Null(outcome.Unrecorded);
        Assert.Equal(outcome.Status, (await h.Ledger.GetReleaseAsync(id, default))!.Status);
        Assert.Contains(audit[^1].Kind, new[] { "promoted", "rolled-back", "rollback-failed", "failed", "aborted", "notification-failed", "lane-leave-failed", "release-version", "release-notes-failed" });
        Assert.Equal(0, (await h.ProgressAsync(id))!.Unrecorded);
    }

    /// <summary>Moves the release along as people and time would: a /status mid-soak, alice's approval, timers; heals a failed ledger once the release has decided.</summary>
    private static async Task DriveAsync(ReleaseWorkflowHarness h, string id, FaultPlan faults)
    {
        bool askedStatus = false, approved = false;
        for (var i = 0; i < 300; i++)
        {
            await h.IdleAsync(id);
            if ((await h.Client.GetInstanceAsync(id))!.IsCompleted)
            {
                return;
            }

            var progress = await h.ProgressAsync(id);
            if (progress is { Unrecorded: > 0 } && IsFinal(progress.Status) && faults.Activities.Contains(nameof(RecordReleaseEvent)))
            {
                faults.Heal(); // the ledger answers again
            }

            if (progress is { Status: ReleaseStatus.Running, WeightPercent: 10 } && !askedStatus)
            {
                askedStatus = true;
                await h.CommandAsync(id, ReleaseCommandKind.Status, "carol");
                continue;
            }

            if (progress is { Status: ReleaseStatus.WaitingForApproval } && !approved)
            {
                approved = true;
                await h.CommandAsync(id, ReleaseCommandKind.Approve, "alice");
                continue;
            }

            if (!await h.AdvanceToNextTimerAsync(id))
            {
                return;
            }
        }

        Assert.Fail("the release did not finish within 300 steps");
    }

    private static bool IsFinal(ReleaseStatus status) => status is ReleaseStatus.Promoted or ReleaseStatus.RolledBack or ReleaseStatus.Failed or ReleaseStatus.Aborted or ReleaseStatus.RollbackFailed;

    /// <summary>One activity failing for good once a trigger has been seen (until healed).</summary>
    private sealed class FaultPlan(IReadOnlyList<string> activities, Func<string, object?, bool> trigger)
    {
        private readonly object _gate = new();
        private bool _healed;

        public IReadOnlyList<string> Activities { get; } = activities;
        public bool Armed { get; private set; }
        public int Injected { get; private set; }

        public void Heal()
        {
            lock (_gate)
            {
                _healed = true;
            }
        }

        public bool Fails(string name, object? input)
        {
            lock (_gate)
            {
                Armed |= trigger(name, input);
                var fails = Armed && !_healed && Activities.Contains(name);
                Injected += fails ? 1 : 0;
                return fails;
            }
        }
    }

    private sealed class FaultyActivity(string name, ITaskActivity inner, FaultPlan faults) : ITaskActivity
    {
        public Type InputType => inner.InputType;
        public Type OutputType => inner.OutputType;

        public Task<object?> RunAsync(TaskActivityContext context, object? input)
            => faults.Fails(name, input)
                ? throw new InvalidOperationException($"injected fault: {name} is down")
                : inner.RunAsync(context, input);
    }
}
