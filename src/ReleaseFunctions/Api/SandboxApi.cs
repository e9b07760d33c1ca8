using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using ReleaseFunctions.Api.Access;
using ReleaseFunctions.Composition;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Sandbox;

namespace ReleaseFunctions.Api;

/// <summary>
/// <c>PUT /api/sandbox/candidate</c> with <c>{"errorRate": 0.3, "addedLatencyMs": 250}</c>: makes the sandbox's candidate
/// version misbehave (or behave again, with zeros) from now on, to watch a gate fail and a release roll back. For
/// operators (Release.Operate), with the sandbox running.
/// </summary>
internal static class SandboxApi
{
    public static IEndpointRouteBuilder MapSandboxApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPut("/api/sandbox/candidate", SetCandidateBehaviourAsync).WithTags("Sandbox").WithName("SetSandboxCandidateBehaviour")
            .WithSummary("Makes the sandbox's candidate version fail a share of requests and answer slower, from now on.")
            .Accepts<CandidateBehaviourRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(ReleaseRoles.Operate).DisableAntiforgery();
        return endpoints;
    }

    internal static async Task<Results<Ok<CandidateBehaviourRequest>, ProblemHttpResult>> SetCandidateBehaviourAsync(
        HttpRequest request, SandboxRuntime sandbox, CancellationToken cancellationToken)
    {
        const string Expected = "expected {\"errorRate\": 0 to 1, \"addedLatencyMs\": 0 to 30000}";
        CandidateBehaviourRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, SandboxApiJsonContext.Default.CandidateBehaviourRequest, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad body", $"the body is not valid JSON ({ex.Message}); {Expected}");
        }

        if (body is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad body", $"the body is empty or null; {Expected}");
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

        try
        {
            sandbox.Environment.SetCandidateBehaviour(behaviour);
        }
        catch (IntegrationException ex)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "Sandbox not running", ex.Message);
        }

        return TypedResults.Ok(body);
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) => TypedResults.Problem(title: title, detail: detail, statusCode: status);
}

/// <summary>How the sandbox's candidate should misbehave: a share of requests answered 500, and latency added to each.</summary>
public sealed record CandidateBehaviourRequest(double ErrorRate, double AddedLatencyMs);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CandidateBehaviourRequest))]
internal sealed partial class SandboxApiJsonContext : JsonSerializerContext;
