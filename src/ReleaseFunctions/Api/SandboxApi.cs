using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using ReleaseFunctions.Api.Access;
using ReleaseFunctions.Composition;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Sandbox;

namespace ReleaseFunctions.Api;

/// <summary>
/// The local sandbox's controls, with the sandbox running:
/// <list type="bullet">
/// <item><c>PUT /api/sandbox/candidate</c> with <c>{"errorRate": 0.3, "addedLatencyMs": 250}</c>: makes the candidate version
/// misbehave (or behave again, with zeros) from now on, to watch a gate fail and a release roll back (Release.Operate);</item>
/// <item><c>GET /api/sandbox/migrations</c>: the sandbox database's migration history and how it runs new ones (Release.Read);
/// <c>PUT</c> with <c>{"durationSeconds": 20, "fail": false}</c> sets that for migrations started from now on (Release.Operate);</item>
/// <item><c>GET /api/sandbox/notifications?channel=sre_teams</c>: what the sandbox's inbox received on the channels whose URL
/// setting is <c>sandbox</c>, newest first (Release.Read).</item>
/// </list>
/// </summary>
internal static class SandboxApi
{
    public static IEndpointRouteBuilder MapSandboxApi(this IEndpointRouteBuilder endpoints)
    {
        var sandbox = endpoints.MapGroup("/api/sandbox").WithTags("Sandbox").RequireAuthorization(ReleaseRoles.Read);
        sandbox.MapPut("/candidate", SetCandidateBehaviourAsync).WithName("SetSandboxCandidateBehaviour")
            .WithSummary("Makes the sandbox's candidate version fail a share of requests and answer slower, from now on.")
            .Accepts<CandidateBehaviourRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(ReleaseRoles.Operate).DisableAntiforgery();
        sandbox.MapGet("/migrations", GetMigrations).WithName("GetSandboxMigrations")
            .WithSummary("The sandbox database's migration history, the latest started first, and how it runs new migrations.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        sandbox.MapPut("/migrations", SetMigrationBehaviourAsync).WithName("SetSandboxMigrationBehaviour")
            .WithSummary("Sets how long the sandbox database's migrations started from now on take, and whether they fail.")
            .Accepts<MigrationBehaviourRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(ReleaseRoles.Operate).DisableAntiforgery();
        sandbox.MapGet("/notifications", GetNotifications).WithName("GetSandboxNotifications")
            .WithSummary("The messages the sandbox's inbox received, newest first, on one channel's setting or on all.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    internal static Results<Ok<IReadOnlyList<SandboxNotification>>, ProblemHttpResult> GetNotifications(SandboxRuntime sandbox, string? channel = null)
    {
        var (environment, notRunning) = Running(sandbox);
        return environment is null
            ? notRunning!
            : TypedResults.Ok(environment.ReceivedNotifications(string.IsNullOrWhiteSpace(channel) ? null : channel.Trim()));
    }

    internal static async Task<Results<Ok<CandidateBehaviourRequest>, ProblemHttpResult>> SetCandidateBehaviourAsync(
        HttpRequest request, SandboxRuntime sandbox, CancellationToken cancellationToken)
    {
        const string Expected = "expected {\"errorRate\": 0 to 1, \"addedLatencyMs\": 0 to 30000}";
        var (body, problem) = await ReadBodyAsync(request, SandboxApiJsonContext.Default.CandidateBehaviourRequest, Expected, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        CandidateBehaviour behaviour;
        try
        {
            behaviour = new CandidateBehaviour(body.ErrorRate, TimeSpan.FromMilliseconds(body.AddedLatencyMs));
        }
        catch (ArgumentOutOfRangeException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad body", $"{ex.Message.Split(" (Parameter", 2)[0]}; {Expected}");
        }

        var (environment, notRunning) = Running(sandbox);
        if (environment is null)
        {
            return notRunning!;
        }

        environment.SetCandidateBehaviour(behaviour);
        return TypedResults.Ok(body);
    }

    internal static Results<Ok<SandboxMigrationsResponse>, ProblemHttpResult> GetMigrations(SandboxRuntime sandbox)
    {
        var (environment, notRunning) = Running(sandbox);
        return environment is null
            ? notRunning!
            : TypedResults.Ok(new SandboxMigrationsResponse(Behaviour(environment.MigrationBehaviour), environment.MigrationHistory()));
    }

    internal static async Task<Results<Ok<MigrationBehaviourRequest>, ProblemHttpResult>> SetMigrationBehaviourAsync(
        HttpRequest request, SandboxRuntime sandbox, CancellationToken cancellationToken)
    {
        const string Expected = "expected {\"durationSeconds\": 0 to 3600, \"fail\": true | false}";
        var (body, problem) = await ReadBodyAsync(request, SandboxApiJsonContext.Default.MigrationBehaviourRequest, Expected, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        if (!double.IsFinite(body.DurationSeconds) || body.DurationSeconds is < 0 or > 3600)
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad body", $"durationSeconds is {body.DurationSeconds}; {Expected}");
        }

        var (environment, notRunning) = Running(sandbox);
        if (environment is null)
        {
            return notRunning!;
        }

        environment.MigrationBehaviour = new SandboxMigrationBehaviour(TimeSpan.FromSeconds(body.DurationSeconds), body.Fail);
        return TypedResults.Ok(body);
    }

    /// <summary>The running sandbox, or a 503 saying why it is not running (it starts with the app, when enabled).</summary>
    private static (SandboxEnvironment? Environment, ProblemHttpResult? NotRunning) Running(SandboxRuntime sandbox)
    {
        try
        {
            return (sandbox.Environment, null);
        }
        catch (IntegrationException ex)
        {
            return (null, Problem(StatusCodes.Status503ServiceUnavailable, "Sandbox not running", ex.Message));
        }
    }

    /// <summary>The body as <typeparamref name="T"/>, or a 400 saying what was wrong and what was expected.</summary>
    private static async Task<(T? Body, ProblemHttpResult? Problem)> ReadBodyAsync<T>(HttpRequest request, JsonTypeInfo<T> type, string expected, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(request.Body, type, cancellationToken) is { } body
                ? (body, null)
                : (null, Problem(StatusCodes.Status400BadRequest, "Bad body", $"the body is empty or null; {expected}"));
        }
        catch (JsonException ex)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "Bad body", $"the body is not valid JSON ({ex.Message}); {expected}"));
        }
    }

    private static MigrationBehaviourRequest Behaviour(SandboxMigrationBehaviour behaviour) => new(behaviour.Duration.TotalSeconds, behaviour.Fail);

    private static ProblemHttpResult Problem(int status, string title, string detail) => TypedResults.Problem(title: title, detail: detail, statusCode: status);
}

/// <summary>How the sandbox's candidate should misbehave: a share of requests answered 500, and latency added to each.</summary>
public sealed record CandidateBehaviourRequest(double ErrorRate, double AddedLatencyMs);

/// <summary>How the sandbox database runs migrations started from now on: how long each takes, and whether it ends failed.</summary>
public sealed record MigrationBehaviourRequest(double DurationSeconds, bool Fail);

/// <summary>The sandbox database: how it runs new migrations, and its history, the latest started first.</summary>
public sealed record SandboxMigrationsResponse(MigrationBehaviourRequest Behaviour, IReadOnlyList<SandboxMigration> Migrations);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CandidateBehaviourRequest))]
[JsonSerializable(typeof(MigrationBehaviourRequest))]
[JsonSerializable(typeof(SandboxMigrationsResponse))]
[JsonSerializable(typeof(IReadOnlyList<SandboxNotification>))]
internal sealed partial class SandboxApiJsonContext : JsonSerializerContext;
