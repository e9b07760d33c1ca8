using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>
/// The sandbox router as a deployment target (provider "sandbox"): a shift sets the candidate's weight; a swap or a
/// promotion sends it everything and makes it the live slot; a rollback sends everything back to stable. A change whose
/// idempotency key was applied before is not applied again, so a retried old step cannot undo a later one.
/// </summary>
internal sealed class SandboxTarget : IDeploymentTarget
{
    public const string ProviderName = "sandbox";
    public const string StableSlot = "stable";
    public const string CandidateSlot = "candidate";

    private readonly SandboxRouter _router;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly HashSet<string> _appliedKeys = new(StringComparer.Ordinal);

    public SandboxTarget(SandboxRouter router, TimeProvider time)
    {
        _router = router;
        _time = time;
    }

    public string Provider => ProviderName;

    public Task<TrafficState> ApplyAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shift);
        if (!string.Equals(shift.Target.Provider, ProviderName, StringComparison.OrdinalIgnoreCase))
        {
            throw new IntegrationException("Sandbox", IntegrationFailureKind.Rejected, $"a shift for provider '{shift.Target.Provider}' was sent to the sandbox target.");
        }

        lock (_gate)
        {
            if (_appliedKeys.Add(shift.IdempotencyKey))
            {
                _router.Split = shift.Action switch
                {
                    TrafficAction.Shift => new RouterSplit(shift.CandidateWeightPercent, shift.CandidateWeightPercent == 100 ? CandidateSlot : StableSlot),
                    TrafficAction.Swap or TrafficAction.Promote => new RouterSplit(100, CandidateSlot),
                    TrafficAction.Rollback => new RouterSplit(0, StableSlot),
                    _ => throw new IntegrationException("Sandbox", IntegrationFailureKind.Rejected, $"unknown traffic action {shift.Action}."),
                };
            }
        }

        return ReadAsync(shift, cancellationToken);
    }

    public Task<TrafficState> ReadAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shift);
        var service = shift.Service;
        var split = _router.Split;
        return Task.FromResult(new TrafficState(
            split.CandidateWeightPercent,
            split.LiveSlot,
            _time.GetUtcNow(),
            $"sandbox router for {service}: {split.CandidateWeightPercent}% to the candidate, {split.LiveSlot} slot live"));
    }
}
