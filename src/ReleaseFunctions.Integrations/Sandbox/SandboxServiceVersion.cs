using Microsoft.AspNetCore.Http;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>
/// One version of the sandbox's service: answers <c>GET /work</c> with its version, and <c>GET /health</c>. It fails
/// exactly the share of requests its behaviour asks for (spread evenly, so short runs show the rate) and adds latency.
/// <c>PUT /behaviour</c> with <c>{"errorRate": 0..1, "addedLatencyMs": 0..30000}</c> changes that at run time, so a
/// demonstration can make a release go bad from outside the process.
/// With a <see cref="FlaggedCodePath"/> (the stable version's), the share of requests its feature flag rolls out runs the
/// candidate's code instead (the candidate's behaviour, counted with the candidate's requests) and says so in
/// <see cref="CodePathHeader"/>, so the SLIs see a flag rollout as they see a traffic split.
/// </summary>
internal sealed class SandboxServiceVersion : IAsyncDisposable
{
    /// <summary>Set to "candidate" on an answer whose request ran the candidate's code behind the feature flag.</summary>
    public const string CodePathHeader = "X-Sandbox-Code-Path";

    private readonly TimeProvider _time;
    private readonly FlaggedCodePath? _flagged;
    private readonly object _gate = new();
    private LocalHttpServer? _server;
    private CandidateBehaviour _behaviour = CandidateBehaviour.Healthy;
    private long _served;
    private long _failed;
    private double _flagPercentage = -1;
    private long _flagSeen;
    private long _flagOn;

    private SandboxServiceVersion(string slot, string version, TimeProvider time, FlaggedCodePath? flagged)
    {
        Slot = slot;
        Version = version;
        _time = time;
        _flagged = flagged;
    }

    public string Slot { get; }
    public string Version { get; }
    public Uri Address => _server?.Address ?? throw new InvalidOperationException($"The {Slot} version is not running.");

    public CandidateBehaviour Behaviour
    {
        get { lock (_gate) { return _behaviour; } }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (_gate)
            {
                // The share of failures counts from the change on, so a new rate does not make up for the past in a burst.
                _behaviour = value;
                _served = 0;
                _failed = 0;
            }
        }
    }

    public static async Task<SandboxServiceVersion> StartAsync(string slot, string version, TimeProvider time, CancellationToken cancellationToken, FlaggedCodePath? flagged = null)
    {
        var service = new SandboxServiceVersion(slot, version, time, flagged);
        service._server = await LocalHttpServer.StartAsync(service.HandleAsync, cancellationToken).ConfigureAwait(false);
        return service;
    }

    private async Task HandleAsync(HttpContext context)
    {
        switch (context.Request.Path.Value)
        {
            case "/health":
                await context.Response.WriteAsJsonAsync(new VersionAnswer(Version, Slot), SandboxJsonContext.Default.VersionAnswer).ConfigureAwait(false);
                return;
            case "/behaviour" when HttpMethods.IsPut(context.Request.Method):
                await ChangeBehaviourAsync(context).ConfigureAwait(false);
                return;
            case "/work":
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
        }

        var code = RunsCandidateCode() ? _flagged!.Candidate : this;
        var (fail, behaviour) = code.NextOutcome();
        if (code != this)
        {
            context.Response.Headers[CodePathHeader] = SandboxTarget.CandidateSlot;
        }

        if (behaviour.AddedLatency > TimeSpan.Zero)
        {
            await Task.Delay(behaviour.AddedLatency, _time, context.RequestAborted).ConfigureAwait(false);
        }

        context.Response.StatusCode = fail ? StatusCodes.Status500InternalServerError : StatusCodes.Status200OK;
        await context.Response.WriteAsJsonAsync(new VersionAnswer(Version, Slot), SandboxJsonContext.Default.VersionAnswer).ConfigureAwait(false);
    }

    /// <summary>Whether this request fails, under this version's behaviour (which it returns).</summary>
    private (bool Fail, CandidateBehaviour Behaviour) NextOutcome()
    {
        lock (_gate)
        {
            var behaviour = _behaviour;
            _served++;
            // Fail whenever the running count of failures falls behind the asked share: exact and evenly spread.
            var fail = _failed < Math.Floor(_served * behaviour.ErrorRate);
            if (fail)
            {
                _failed++;
            }

            return (fail, behaviour);
        }
    }

    /// <summary>Whether the feature flag gives this request the candidate's code: exactly its share, evenly spread, as for failures.</summary>
    private bool RunsCandidateCode()
    {
        if (_flagged?.Rollout() is not { Enabled: true, Percentage: > 0 } rollout)
        {
            return false;
        }

        lock (_gate)
        {
            if (rollout.Percentage != _flagPercentage)
            {
                // The share counts from the change on, so a new percentage does not make up for the past in a burst.
                (_flagPercentage, _flagSeen, _flagOn) = (rollout.Percentage, 0, 0);
            }

            _flagSeen++;
            var on = _flagOn < Math.Floor(_flagSeen * rollout.Percentage / 100);
            if (on)
            {
                _flagOn++;
            }

            return on;
        }
    }

    private async Task ChangeBehaviourAsync(HttpContext context)
    {
        try
        {
            var asked = await context.Request.ReadFromJsonAsync(SandboxJsonContext.Default.BehaviourRequest, context.RequestAborted).ConfigureAwait(false)
                ?? throw new ArgumentException("The body must be a JSON object.");
            Behaviour = new CandidateBehaviour(asked.ErrorRate ?? 0, TimeSpan.FromMilliseconds(asked.AddedLatencyMs ?? 0));
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        catch (Exception ex) when (ex is ArgumentException or System.Text.Json.JsonException or InvalidOperationException or OverflowException)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync(
                $"Expected {{\"errorRate\": 0..1, \"addedLatencyMs\": 0..30000}}: {ex.Message}", context.RequestAborted).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>The candidate's code inside the stable version, behind a feature flag: the candidate it runs as, and the flag's rollout now.</summary>
internal sealed record FlaggedCodePath(SandboxServiceVersion Candidate, Func<FeatureFlagRollout?> Rollout);
