using System.Text.Json;
using System.Text.Json.Serialization;
using ReleaseFunctions.Core.Migrations;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Deployment;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Migrations;

/// <summary>
/// The database migration hook (settings <c>ReleaseFunctions__Migrations__Url</c> and <c>__Secret</c>; the URL never comes
/// from a policy file). Each call POSTs JSON <c>{release, service, version, phase, migration, action, idempotencyKey}</c>,
/// signed like the HTTP hook target (<c>X-ReleaseFunctions-Signature-256: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c>),
/// with action <c>run</c> (start the step, once per <c>Idempotency-Key</c>) or <c>read</c> (report, change nothing). The
/// answer must report <c>{"state": "running" | "applied" | "failed", "detail": "..."}</c>; anything else is an error.
/// </summary>
public sealed class MigrationHook : IMigrationRunner
{
    private const string SystemName = "migration hook";
    private const string Expected = "{\"state\": \"running\" | \"applied\" | \"failed\", \"detail\": \"...\"}";

    private readonly SignedHook _hook;
    private readonly TimeProvider _time;

    public MigrationHook(HttpClient http, HttpHookOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _hook = new SignedHook(http, options, time, SystemName);
    }

    public Task<MigrationReport> StartAsync(MigrationRequest request, CancellationToken cancellationToken)
        => PostAsync(request, "run", request.IdempotencyKey, cancellationToken);

    public Task<MigrationReport> ReadAsync(MigrationRequest request, CancellationToken cancellationToken)
        => PostAsync(request, "read", $"read:{request.IdempotencyKey}:{_time.GetUtcNow().ToUnixTimeMilliseconds()}", cancellationToken);

    private async Task<MigrationReport> PostAsync(MigrationRequest request, string action, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var phase = request.Phase == MigrationPhase.Expand ? "expand" : "contract";
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new MigrationHookRequest(request.ReleaseId, request.Service, request.Version, phase, request.Migration, action, key), MigrationJsonContext.Default.MigrationHookRequest);
        var call = _hook.Call($"{action} the {phase} migration {request.Migration} of {request.Service}");
        var (status, text) = await _hook.PostAsync(body, key, call, cancellationToken).ConfigureAwait(false);
        var answer = string.IsNullOrWhiteSpace(text)
            ? throw _hook.Malformed(call, $"the hook answered {(int)status} with an empty body; it must answer {Expected}, so the step can be read back", text)
            : _hook.ParseJson(text, call, MigrationJsonContext.Default.MigrationHookResponse);
        var state = answer.State?.Trim().ToLowerInvariant() switch
        {
            "running" => MigrationState.Running,
            "applied" => MigrationState.Applied,
            "failed" => MigrationState.Failed,
            _ => throw _hook.Malformed(call, $"the answer reports state '{answer.State}'; expected {Expected}", text),
        };
        return new MigrationReport(state, string.IsNullOrWhiteSpace(answer.Detail) ? $"the hook reports {state.ToString().ToLowerInvariant()}" : answer.Detail.Trim(), _time.GetUtcNow());
    }
}

internal sealed record MigrationHookRequest(
    [property: JsonPropertyName("release")] string Release,
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("migration")] string Migration,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("idempotencyKey")] string IdempotencyKey);

internal sealed record MigrationHookResponse(
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("detail")] string? Detail);

[JsonSerializable(typeof(MigrationHookRequest))]
[JsonSerializable(typeof(MigrationHookResponse))]
internal sealed partial class MigrationJsonContext : JsonSerializerContext;
