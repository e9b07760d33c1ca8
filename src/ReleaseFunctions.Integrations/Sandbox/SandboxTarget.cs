using System.Text.Json;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>
/// The sandbox router as a deployment target (provider "sandbox"): a shift sets the candidate's weight; a swap or a
/// promotion sends it everything and makes it the live slot; a rollback sends everything back to stable. A change whose
/// idempotency key was applied before is not applied again, so a retried old step cannot undo a later one. With a
/// state file, the split and the applied keys survive a restart of the app, as a real router's would.
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

    private readonly string? _stateFile;

    public SandboxTarget(SandboxRouter router, TimeProvider time, string? stateFile = null)
    {
        _router = router;
        _time = time;
        _stateFile = stateFile;
        if (stateFile is not null && File.Exists(stateFile))
        {
            var state = Load(stateFile);
            _router.Split = new RouterSplit(state.CandidateWeightPercent, state.LiveSlot);
            _appliedKeys.UnionWith(state.AppliedKeys);
        }
    }

    private static RouterState Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), SandboxJsonContext.Default.RouterState)
                   ?? throw new InvalidDataException("the file holds null");
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException($"The sandbox router's state file {path} is damaged ({ex.Message}); expected {{\"candidateWeightPercent\": 0..100, \"liveSlot\": \"stable\"|\"candidate\", \"appliedKeys\": [...]}}. Delete it to start the router at 0%.", ex);
        }
    }

    /// <summary>Written whole to a temporary file and moved into place, so a crash leaves the old state or the new one.</summary>
    private void Save()
    {
        if (_stateFile is null)
        {
            return;
        }

        var split = _router.Split;
        var json = JsonSerializer.Serialize(new RouterState(split.CandidateWeightPercent, split.LiveSlot, _appliedKeys.Order(StringComparer.Ordinal).ToArray()), SandboxJsonContext.Default.RouterState);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_stateFile))!);
        var temporary = _stateFile + ".tmp";
        File.WriteAllText(temporary, json);
        File.Move(temporary, _stateFile, overwrite: true);
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
                Save();
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
