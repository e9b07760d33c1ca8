using Microsoft.AspNetCore.Http;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>The split the router applies: the candidate's share of requests and which slot is live.</summary>
internal sealed record RouterSplit
{
    public RouterSplit(int candidateWeightPercent, string liveSlot)
    {
        CandidateWeightPercent = candidateWeightPercent is >= 0 and <= 100
            ? candidateWeightPercent
            : throw new ArgumentOutOfRangeException(nameof(candidateWeightPercent), candidateWeightPercent, "A weight is a percentage from 0 to 100.");
        LiveSlot = liveSlot;
    }

    public int CandidateWeightPercent { get; }
    public string LiveSlot { get; }
}

/// <summary>
/// The sandbox's front door: forwards every request to the stable or the candidate version, choosing the candidate
/// with probability weight/100, and records what happened in the traffic log with times from the injected clock. A
/// request the stable version answered with the candidate's code (its feature flag) counts as the candidate's.
/// </summary>
internal sealed class SandboxRouter : IAsyncDisposable
{
    private readonly SandboxServiceVersion _stable;
    private readonly SandboxServiceVersion _candidate;
    private readonly SandboxTrafficLog _log;
    private readonly TimeProvider _time;
    private readonly HttpClient _forwarder;
    private readonly Random _random;
    private readonly object _gate = new();
    private RouterSplit _split = new(0, SandboxTarget.StableSlot);
    private LocalHttpServer? _server;

    private SandboxRouter(SandboxServiceVersion stable, SandboxServiceVersion candidate, SandboxTrafficLog log, TimeProvider time, HttpClient forwarder, Random random)
    {
        _stable = stable;
        _candidate = candidate;
        _log = log;
        _time = time;
        _forwarder = forwarder;
        _random = random;
    }

    public Uri Address => _server?.Address ?? throw new InvalidOperationException("The sandbox router is not running.");

    public RouterSplit Split
    {
        get { lock (_gate) { return _split; } }
        set { lock (_gate) { _split = value ?? throw new ArgumentNullException(nameof(value)); } }
    }

    public static async Task<SandboxRouter> StartAsync(
        SandboxServiceVersion stable, SandboxServiceVersion candidate, SandboxTrafficLog log, TimeProvider time, HttpClient forwarder, Random random, CancellationToken cancellationToken)
    {
        var router = new SandboxRouter(stable, candidate, log, time, forwarder, random);
        router._server = await LocalHttpServer.StartAsync(router.HandleAsync, cancellationToken).ConfigureAwait(false);
        return router;
    }

    private async Task HandleAsync(HttpContext context)
    {
        bool toCandidate;
        lock (_gate)
        {
            toCandidate = _random.Next(100) < _split.CandidateWeightPercent;
        }

        var backend = toCandidate ? _candidate : _stable;
        var arrivedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        int status;
        byte[] body;
        var ranCandidateCode = false;
        try
        {
            var target = new Uri(backend.Address, context.Request.Path.Value?.TrimStart('/') + context.Request.QueryString.Value);
            using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target);
            using var response = await _forwarder.SendAsync(request, context.RequestAborted).ConfigureAwait(false);
            status = (int)response.StatusCode;
            ranCandidateCode = response.Headers.TryGetValues(SandboxServiceVersion.CodePathHeader, out var path) && path.Contains(SandboxTarget.CandidateSlot);
            body = await response.Content.ReadAsByteArrayAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            // A version that cannot be reached is an error the SLIs must show, as a real proxy would answer it.
            status = StatusCodes.Status502BadGateway;
            body = [];
        }

        _log.Record(new ObservedRequest(
            arrivedAt,
            toCandidate || ranCandidateCode ? SandboxSliSource.CanaryPopulation : SandboxSliSource.BaselinePopulation,
            status >= 500,
            _time.GetElapsedTime(started).TotalMilliseconds));
        context.Response.StatusCode = status;
        context.Response.Headers["X-Sandbox-Version"] = backend.Version;
        if (ranCandidateCode)
        {
            context.Response.Headers[SandboxServiceVersion.CodePathHeader] = SandboxTarget.CandidateSlot;
        }

        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
