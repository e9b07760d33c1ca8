using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.DurableTask.Client;
using ReleaseFunctions.Api.Access;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Dora;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Dora;
using ReleaseFunctions.Ledger;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Api;

/// <summary>
/// The operator API: releases (list, detail, timeline, commands) under <c>/api/releases</c>, DORA metrics at
/// <c>/api/dora</c> and the weekly summaries at <c>/api/dora/summaries</c>, for signed-in operators
/// (<see cref="OperatorAuthentication"/>): reading needs <see cref="ReleaseRoles.Read"/>, each command the role
/// <see cref="ReleaseRoles.RequiredFor"/> names. Bad input is a 400 problem naming the parameter and what is expected.
/// </summary>
public static partial class ReleasesApi
{
    /// <summary>The <see cref="ReleaseCommand.Source"/> of commands sent through this API.</summary>
    public const string CommandSource = "operator-api";

    private static readonly Dictionary<string, ReleaseCommandKind> Commands = new(StringComparer.OrdinalIgnoreCase)
    {
        ["approve"] = ReleaseCommandKind.Approve,
        ["reject"] = ReleaseCommandKind.Reject,
        ["promote"] = ReleaseCommandKind.Promote,
        ["pause"] = ReleaseCommandKind.Pause,
        ["resume"] = ReleaseCommandKind.Resume,
        ["rollback"] = ReleaseCommandKind.Rollback,
        ["abort"] = ReleaseCommandKind.Abort,
    };

    public static IServiceCollection AddOperatorApi(this IServiceCollection services)
    {
        services.AddOperatorAuthentication();
        services.AddProblemDetails();
        services.AddExceptionHandler<EngineUnavailableHandler>();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, ReleasesApiJsonContext.Default);
            json.SerializerOptions.TypeInfoResolverChain.Insert(1, SandboxApiJsonContext.Default);
        });
        return services;
    }

    public static IEndpointRouteBuilder MapReleasesApi(this IEndpointRouteBuilder endpoints)
    {
        var releases = endpoints.MapGroup("/api/releases").WithTags("Releases").RequireAuthorization(ReleaseRoles.Read);
        releases.MapGet("/", ListReleasesAsync).WithName("ListReleases").WithSummary("Lists releases, newest first, with filters and paging.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        releases.MapGet("/{id}", GetReleaseAsync).WithName("GetRelease").WithSummary("One release: ledger record, engine progress, gate verdicts, approvals, audit verification.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        releases.MapGet("/{id}/timeline", GetTimelineAsync).WithName("GetReleaseTimeline").WithSummary("The release's audit trail, oldest first.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        releases.MapPost("/{id}/commands/{command}", SendCommandAsync).WithName("SendReleaseCommand")
            .WithSummary("Sends approve, reject, promote, pause, resume, rollback or abort to a running release.")
            .Accepts<CommandRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .DisableAntiforgery();

        endpoints.MapGet("/api/dora", GetDoraMetricsAsync).WithTags("DORA").WithName("GetDoraMetrics")
            .WithSummary("DORA metrics per repository over [from, to).").RequireAuthorization(ReleaseRoles.Read)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        endpoints.MapGet("/api/dora/summaries", ListDoraSummariesAsync).WithTags("DORA").WithName("ListDoraSummaries")
            .WithSummary("The weekly DORA summaries the DoraSummary timer kept, newest first.").RequireAuthorization(ReleaseRoles.Read)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return endpoints;
    }

    public static async Task<Results<Ok<ReleaseListResponse>, ProblemHttpResult>> ListReleasesAsync(
        string? repository, string? service, string? status, string? pageSize, string? continuationToken, IReleaseLedger ledger, CancellationToken cancellationToken)
    {
        var statuses = new List<ReleaseStatus>();
        foreach (var name in (status ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<ReleaseStatus>(name, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || char.IsDigit(name[0]))
            {
                return BadRequest("status", $"'{name}' is not a release status; expected one or more (comma-separated) of {string.Join(", ", Enum.GetNames<ReleaseStatus>())}");
            }

            statuses.Add(parsed);
        }

        var size = 50;
        if (pageSize is not null && (!int.TryParse(pageSize, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > 500))
        {
            return BadRequest("pageSize", $"'{pageSize}' is not a page size; expected a whole number from 1 to 500 (default 50)");
        }

        try
        {
            var page = await ledger.ListReleasesAsync(new ReleaseFilter(
                Repository: string.IsNullOrWhiteSpace(repository) ? null : repository.Trim(),
                Service: string.IsNullOrWhiteSpace(service) ? null : service.Trim(),
                Statuses: statuses,
                PageSize: size,
                ContinuationToken: string.IsNullOrWhiteSpace(continuationToken) ? null : continuationToken.Trim()), cancellationToken);
            return TypedResults.Ok(new ReleaseListResponse(page.Releases, page.ContinuationToken));
        }
        catch (ArgumentException ex) when (ex.ParamName == nameof(ReleaseFilter.ContinuationToken))
        {
            return BadRequest("continuationToken", ex.Message.Split(" (Parameter", 2)[0]);
        }
    }

    public static async Task<Results<Ok<ReleaseDetailResponse>, ProblemHttpResult>> GetReleaseAsync(
        string id, IReleaseLedger ledger, IReleaseReviews reviews, AuditChainKeySource chainKeys, DurableTaskClient engine, CancellationToken cancellationToken)
    {
        var release = await ledger.GetReleaseAsync(id, cancellationToken);
        var instance = await ReleaseInstanceAsync(engine, id, cancellationToken);
        if (release is null && instance is null)
        {
            return NotFound(id);
        }

        var trail = await ledger.GetAuditTrailAsync(id, cancellationToken);
        var events = trail.Select(AuditEvent.From).ToArray();
        return TypedResults.Ok(new ReleaseDetailResponse(
            id,
            release,
            instance?.RuntimeStatus.ToString(),
            instance?.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<ReleaseProgress>(),
            events.Where(e => e.Kind == "gate-verdict").ToArray(),
            events.Where(e => e.Kind.StartsWith("approval-", StringComparison.Ordinal)).ToArray(),
            AuditChain.Verify(trail, chainKeys.Key),
            await reviews.GetAsync(id, cancellationToken)));
    }

    public static async Task<Results<Ok<TimelineResponse>, ProblemHttpResult>> GetTimelineAsync(
        string id, IReleaseLedger ledger, AuditChainKeySource chainKeys, DurableTaskClient engine, CancellationToken cancellationToken)
    {
        var trail = await ledger.GetAuditTrailAsync(id, cancellationToken);
        if (trail.Count == 0 && await ReleaseInstanceAsync(engine, id, cancellationToken) is null)
        {
            return NotFound(id);
        }

        return TypedResults.Ok(new TimelineResponse(id, trail.Select(AuditEvent.From).ToArray(), AuditChain.Verify(trail, chainKeys.Key)));
    }

    public static async Task<Results<Accepted<CommandAccepted>, ProblemHttpResult>> SendCommandAsync(
        string id, string command, HttpRequest request, ClaimsPrincipal user, DurableTaskClient engine, IReleaseLedger ledger,
        TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!Commands.TryGetValue(command, out var kind))
        {
            return BadRequest("command", $"'{command}' is not a release command; expected one of {string.Join(", ", Commands.Keys)}");
        }

        CommandRequest? body;
        try
        {
            body = await ReadBodyAsync(request, cancellationToken);
        }
        catch (JsonException ex)
        {
            return BadRequest("body", $"the body is not valid JSON ({ex.Message}); expected nothing or {{\"comment\": \"why\"}}");
        }

        if (OperatorAuthentication.Forbidden(user, ReleaseRoles.RequiredFor(kind)) is { } forbidden)
        {
            return forbidden;
        }

        var sender = SignedInOperator.From(user);
        if (kind is ReleaseCommandKind.Approve or ReleaseCommandKind.Reject && sender?.GitHubLogin is null)
        {
            return TypedResults.Problem(
                title: "No GitHub login", statusCode: StatusCodes.Status403Forbidden,
                detail: $"{sender?.ToString() ?? "the caller"} maps to no GitHub login, and approvals are judged by the policy as a GitHub login; " +
                    $"expected an entry '{sender?.Name}=LOGIN' in ReleaseFunctions__Operator__GitHubLogins, or the login in the claim ReleaseFunctions__Operator__GitHubLoginClaim names");
        }

        var instance = await ReleaseInstanceAsync(engine, id, cancellationToken);
        if (instance is null)
        {
            return NotFound(id);
        }

        var recorded = await ledger.GetReleaseAsync(id, cancellationToken);
        if (instance.IsCompleted || recorded is { CompletedAt: not null })
        {
            var state = recorded?.Status.ToString() ?? instance.RuntimeStatus.ToString();
            return TypedResults.Problem(
                title: "Release finished", statusCode: StatusCodes.Status409Conflict,
                detail: $"release '{id}' has finished ({state}); commands go to running releases only");
        }

        var actor = sender?.GitHubLogin ?? sender?.Name ?? user.Identity?.Name ?? "operator";
        var releaseCommand = new ReleaseCommand(kind, actor, CommandSource, time.GetUtcNow(), body?.Comment)
        {
            SignedInAs = sender?.Name,
            SignIn = sender?.SignIn,
        };
        await engine.RaiseEventAsync(id, ReleaseEvents.Command, releaseCommand, cancellationToken);
        Log.CommandSent(loggers.CreateLogger(typeof(ReleasesApi).FullName!), ReleaseCommand.SlashWord(kind), actor, sender?.ToString() ?? actor, id, releaseCommand.Comment);
        return TypedResults.Accepted($"/api/releases/{Uri.EscapeDataString(id)}",
            new CommandAccepted(id, kind, actor, releaseCommand.IssuedAt, releaseCommand.Comment));
    }

    public static async Task<Results<Ok<DoraResponse>, ProblemHttpResult>> GetDoraMetricsAsync(
        string? repository, string? from, string? to, IReleaseLedger ledger, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!TryTime(to, now, out var end))
        {
            return BadRequest("to", $"'{to}' is not a time; expected an ISO 8601 date or time such as 2026-11-01 or 2026-11-01T00:00:00Z (default: now)");
        }

        if (!TryTime(from, end - TimeSpan.FromDays(30), out var start))
        {
            return BadRequest("from", $"'{from}' is not a time; expected an ISO 8601 date or time such as 2026-10-01 (default: 30 days before 'to')");
        }

        if (end <= start)
        {
            return BadRequest("to", $"the period [{start:O}, {end:O}) is empty; expected 'to' after 'from'");
        }

        var deployments = await LedgerDeployments.ListAsync(ledger, string.IsNullOrWhiteSpace(repository) ? null : repository.Trim(), end, cancellationToken);
        var metrics = string.IsNullOrWhiteSpace(repository)
            ? DoraCalculator.ComputeByRepository(deployments, start, end).Values.OrderBy(m => m.Repository, StringComparer.Ordinal).ToArray()
            : [DoraCalculator.Compute(deployments, repository.Trim(), start, end)];
        return TypedResults.Ok(new DoraResponse(start, end, metrics));
    }

    public static async Task<Results<Ok<DoraSummariesResponse>, ProblemHttpResult>> ListDoraSummariesAsync(
        string? repository, string? limit, IDoraSummaries summaries, CancellationToken cancellationToken)
    {
        var max = 52;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max is < 1 or > 500))
        {
            return BadRequest("limit", $"'{limit}' is not a limit; expected a whole number from 1 to 500 (default 52)");
        }

        var list = await summaries.ListAsync(string.IsNullOrWhiteSpace(repository) ? null : repository.Trim(), max, cancellationToken);
        return TypedResults.Ok(new DoraSummariesResponse(list));
    }

    private static async Task<CommandRequest?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length == 0 || buffer.ToArray().All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
        {
            return null;
        }

        return JsonSerializer.Deserialize(buffer.ToArray(), ReleasesApiJsonContext.Default.CommandRequest);
    }

    private static bool TryTime(string? text, DateTimeOffset fallback, out DateTimeOffset value)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            value = fallback;
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    /// <summary>The engine's instance of a release (not of another orchestration, such as a release lane), or null.</summary>
    private static async Task<OrchestrationMetadata?> ReleaseInstanceAsync(DurableTaskClient engine, string id, CancellationToken cancellationToken)
        => IsInstanceId(id) && await engine.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken) is { Name: ReleaseWorkflow.OrchestratorName } instance
            ? instance
            : null;

    private static bool IsInstanceId(string id) => id.Length is > 0 and <= 256 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '@' or '#' or '/' or '-');

    private static ProblemHttpResult BadRequest(string parameter, string detail) => TypedResults.Problem(
        title: $"Bad '{parameter}'", detail: detail, statusCode: StatusCodes.Status400BadRequest,
        extensions: new Dictionary<string, object?> { ["parameter"] = parameter });

    private static ProblemHttpResult NotFound(string id) => TypedResults.Problem(
        title: "Release not found", statusCode: StatusCodes.Status404NotFound,
        detail: $"no release with instance id '{id}' exists; expected an id such as 'release-octo.shop-pr42-0123456789ab' from GET /api/releases");

    private static partial class Log
    {
        [LoggerMessage(EventId = 7301, Level = LogLevel.Information, Message = "Operator {Actor}, signed in as {SignedInAs}, sent {Command} to release {Release} (comment: {Comment})")]
        public static partial void CommandSent(ILogger logger, string command, string actor, string signedInAs, string release, string? comment);
    }
}
