using System.Text.Json;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>
/// Where the HTTP hook target posts, and the secret it signs with. The URL comes from settings, never from a policy
/// file, so a pull request cannot send signed release traffic elsewhere. The secret must be at least 16 characters.
/// </summary>
public sealed record HttpHookOptions
{
    public HttpHookOptions(Uri url, string secret)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"The hook URL must be an absolute http(s) URL; got '{url}'.", nameof(url));
        }

        Url = url;
        Secret = secret is { Length: >= 16 }
            ? secret
            : throw new ArgumentException("The hook secret must be at least 16 characters, so the signature cannot be guessed.", nameof(secret));
    }

    public Uri Url { get; }
    public string Secret { get; }
    public HttpResilienceOptions Resilience { get; init; } = new();
}

/// <summary>
/// Any deployment system behind a signed HTTP hook (provider "http-hook"). Each change is POSTed as JSON
/// <c>{release, service, version, stage, step, weight, action, idempotencyKey}</c> with
/// <c>X-ReleaseFunctions-Signature-256: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c> (as GitHub signs webhooks) and an
/// <c>Idempotency-Key</c> header. A 2xx answer applies the change and must report the state the hook has now as
/// <c>{"weight": 0..100, "liveSlot": ...}</c>; an empty or unparseable answer, or one without a weight, is an error (nothing
/// was read back, so nothing is verified). A read is the same POST with action "read" (and the release's facts), whose
/// answer must report the weight the same way. Anything else fails with the hook's answer quoted.
/// </summary>
public sealed class HttpHookTarget : IDeploymentTarget
{
    public const string ProviderName = "http-hook";
    public const string SignatureHeader = SignedHook.SignatureHeader;
    private const string SystemName = "HTTP hook";

    private readonly SignedHook _hook;
    private readonly TimeProvider _time;

    public HttpHookTarget(HttpClient http, HttpHookOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _hook = new SignedHook(http, options, time, SystemName);
    }

    public string Provider => ProviderName;

    /// <summary>The signature header value for a body: <c>sha256=</c> and the lower-case hex HMAC-SHA256 under the secret.</summary>
    public static string Sign(string secret, byte[] body) => SignedHook.Sign(secret, body);

    public async Task<TrafficState> ApplyAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shift);
        var action = shift.Action switch
        {
            TrafficAction.Shift => "shift",
            TrafficAction.Swap => "swap",
            TrafficAction.Rollback => "rollback",
            TrafficAction.Promote => "promote",
            _ => throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, $"unknown traffic action {shift.Action}."),
        };
        var request = new HookRequest(shift.ReleaseId, shift.Service, shift.CandidateVersion, shift.Stage, shift.Step, shift.CandidateWeightPercent, action, shift.IdempotencyKey);
        var answer = await PostAsync(request, $"{action} {shift.Service} for release {shift.ReleaseId}", cancellationToken).ConfigureAwait(false);
        return new TrafficState(answer.Weight, answer.LiveSlot, _time.GetUtcNow(), $"the hook applied {action} and reports {answer.Weight}% to the candidate");
    }

    public async Task<TrafficState> ReadAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shift);
        var key = $"read:{shift.IdempotencyKey}:{_time.GetUtcNow().ToUnixTimeMilliseconds()}";
        var request = new HookRequest(shift.ReleaseId, shift.Service, shift.CandidateVersion, shift.Stage, shift.Step, null, "read", key);
        var answer = await PostAsync(request, $"read {shift.Service} for release {shift.ReleaseId}", cancellationToken).ConfigureAwait(false);
        return new TrafficState(answer.Weight, answer.LiveSlot, _time.GetUtcNow(), $"the hook reports {answer.Weight}% to the candidate");
    }

    /// <summary>Posts a signed request; the answer must report the weight the hook has now.</summary>
    private async Task<ReportedState> PostAsync(HookRequest request, string operation, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, DeploymentJsonContext.Default.HookRequest);
        var call = _hook.Call(operation);
        var (status, text) = await _hook.PostAsync(body, request.IdempotencyKey, call, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw _hook.Malformed(call, $"the hook answered {(int)status} with an empty body; it must answer {Expected}, the state it has now, so the change can be verified", text);
        }

        HookResponse? answer;
        try
        {
            answer = JsonSerializer.Deserialize(text, DeploymentJsonContext.Default.HookResponse);
        }
        catch (JsonException ex)
        {
            throw _hook.Malformed(call, $"the answer is not JSON; expected {Expected}", text, ex);
        }

        if (answer?.Weight is not { } weight)
        {
            throw _hook.Malformed(call, $"the answer reports no weight; expected {Expected}", text);
        }

        return weight is >= 0 and <= 100
            ? new ReportedState(weight, answer.LiveSlot)
            : throw _hook.Malformed(call, $"weight {weight} is not a percentage; expected {Expected}", text);
    }

    private const string Expected = "{\"weight\": 0..100, \"liveSlot\": ...}";

    private sealed record ReportedState(int Weight, string? LiveSlot);
}
