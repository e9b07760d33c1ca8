using System.Globalization;
using Microsoft.DurableTask;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>
/// Where one release stands inside its orchestration, shared by the parts that drive it (rollouts, commands, gates,
/// approvals, windows, traffic, records). Deterministic: time only from the context, keys only from counters.
/// </summary>
internal sealed class ReleaseRun
{
    public const string Workflow = "release-workflow";

    /// <summary>Traffic calls are retried durably; a target that keeps failing ends in a rollback that says why.</summary>
    public static readonly TaskOptions TargetRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(4, TimeSpan.FromSeconds(10), 2, TimeSpan.FromMinutes(2)));

    public static readonly TaskOptions IoRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(5), 2, TimeSpan.FromMinutes(1)));

    private ReleasePolicy? _policy;
    private int _keys;

    public ReleaseRun(TaskOrchestrationContext context, ReleaseRequest request)
    {
        Context = context;
        Request = request;
        StartedAt = Now;
        Release = Release.Create(request.Id, Now);
    }

    public TaskOrchestrationContext Context { get; }
    public ReleaseRequest Request { get; }
    public string InstanceId => Request.Id.InstanceId;
    public DateTimeOffset StartedAt { get; }
    public DateTimeOffset Now => new(Context.CurrentUtcDateTime, TimeSpan.Zero);

    public ReleasePolicy Policy => _policy ?? throw new InvalidOperationException("The release policy is not resolved yet.");

    /// <summary>The policy once resolved; null before (a release that fails to read its policy has none to notify by).</summary>
    public ReleasePolicy? AdoptedPolicy => _policy;

    public string PolicyYaml { get; private set; } = string.Empty;

    public Release Release { get; set; }

    /// <summary>The candidate's weight last read back from a target.</summary>
    public int? Weight { get; set; }

    public int StepCount { get; set; }
    public string Summary { get; set; } = "received";
    public List<GateSummary> Gates { get; } = new();
    public List<string> ApprovedBy { get; } = new();

    /// <summary>
    /// When this release first asked a target to move traffic (the orchestration's clock): the service before it is
    /// what the pre-release comparison window ends at. Null before the first shift.
    /// </summary>
    public DateTimeOffset? TrafficFirstMovedAt { get; set; }

    /// <summary>The stages whose traffic this release asked to move and has not yet verified back at 0%, oldest first.</summary>
    public List<StagePolicy> MovedStages { get; } = new();

    public void Adopt(ReleasePolicy policy, string yaml)
    {
        _policy = policy;
        PolicyYaml = yaml;
    }

    /// <summary>
    /// The key of the next side effect an activity applies for this release (a traffic change, a status update). The
    /// SDK gives activities no key of their own: this one is the instance id and the place of the call among this
    /// release's keyed calls, the same on every replay, and the same for every retry of one call.
    /// </summary>
    public string NextIdempotencyKey(string what) => $"{InstanceId}/{what}/{(++_keys).ToString(CultureInfo.InvariantCulture)}";
}
