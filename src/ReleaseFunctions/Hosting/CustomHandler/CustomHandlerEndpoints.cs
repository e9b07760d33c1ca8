using System.Text.Json;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Hosting.Timers;

namespace ReleaseFunctions.Hosting.CustomHandler;

/// <summary>
/// The custom handler side of timer triggers: the Functions host POSTs <c>{"Data": {"timer": ...}, "Metadata": ...}</c>
/// to <c>/{FunctionName}</c> on 127.0.0.1:<c>FUNCTIONS_CUSTOMHANDLER_PORT</c> and reads
/// <c>{"Outputs", "Logs", "ReturnValue"}</c> back.
/// </summary>
/// <remarks>
/// The host treats any status other than 2xx as a failed invocation (and then does not read the body), so a function
/// that throws answers 500; the body still carries the Logs for anyone calling the handler directly. Unknown functions
/// answer 404 and malformed bodies 400, each with the reason in Logs. HTTP functions never come here: with
/// <c>enableForwardingHttpRequest</c> the host forwards their requests unchanged to the app's own routes.
/// </remarks>
internal static class CustomHandlerEndpoints
{
    /// <summary>The binding name of the timer trigger in the function.json files publish writes.</summary>
    public const string TimerBindingName = "timer";

    public static IEndpointRouteBuilder MapCustomHandlerInvocations(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/{functionName}", InvokeAsync).ExcludeFromDescription();
        return endpoints;
    }

    private static async Task<IResult> InvokeAsync(
        string functionName,
        HttpRequest request,
        FunctionCatalog catalog,
        TimerFunctionRunner runner,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        switch (catalog.Find(functionName))
        {
            case null:
                var known = catalog.Timers.Count == 0 ? "none" : string.Join(", ", catalog.Timers.Select(timer => timer.Name));
                return Answer(StatusCodes.Status404NotFound, $"No function named '{functionName}'; expected one of the timer functions: {known}.");
            case HttpFunctionDeclaration http:
                return Answer(StatusCodes.Status404NotFound, $"'{http.Name}' is an HTTP function served at /{http.Route}; expected the host to forward its requests (host.json customHandler.enableForwardingHttpRequest: true).");
            case TimerFunctionDeclaration timer:
                var (invocation, problem) = await ReadInvocationAsync(timer, request, time, cancellationToken).ConfigureAwait(false);
                if (invocation is null)
                {
                    return Answer(StatusCodes.Status400BadRequest, $"Invocation of '{timer.Name}' has a malformed body: {problem}");
                }

                var result = await runner.RunAsync(timer, invocation, cancellationToken).ConfigureAwait(false);
                return Results.Json(
                    InvocationResponse.WithLogs(result.Log),
                    CustomHandlerJsonContext.Default.InvocationResponse,
                    statusCode: result.Succeeded ? StatusCodes.Status200OK : StatusCodes.Status500InternalServerError);
            default:
                return Answer(StatusCodes.Status404NotFound, $"Function '{functionName}' has no custom handler invocation.");
        }
    }

    private static IResult Answer(int statusCode, string message) =>
        Results.Json(InvocationResponse.WithLogs([message]), CustomHandlerJsonContext.Default.InvocationResponse, statusCode: statusCode);

    private static async Task<(TimerInvocation? Invocation, string Problem)> ReadInvocationAsync(
        TimerFunctionDeclaration timer,
        HttpRequest request,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return (null, $"the body is not JSON ({ex.Message}); expected {{\"Data\": {{\"{TimerBindingName}\": {{...}}}}, \"Metadata\": {{...}}}}.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, $"the body is a JSON {root.ValueKind}; expected an object with \"Data\" and \"Metadata\".");
            }

            if (!TryGetProperty(root, "Data", out var data) || data.ValueKind != JsonValueKind.Object)
            {
                return (null, "\"Data\" is missing or not an object; expected \"Data\" to hold the trigger value.");
            }

            if (!TryGetProperty(data, TimerBindingName, out var timerElement))
            {
                return (null, $"\"Data\" has no \"{TimerBindingName}\"; expected the timer trigger value under the binding name \"{TimerBindingName}\".");
            }

            var (value, problem) = ReadTimerValue(timerElement);
            if (value is null)
            {
                return (null, problem);
            }

            var status = value.ScheduleStatus;
            var scheduled = status is not null && status.Next != default ? AsUtc(status.Next) : time.GetUtcNow();
            DateTimeOffset? lastRun = status is not null && status.Last != default ? AsUtc(status.Last) : null;
            return (new TimerInvocation(timer.Name, scheduled, value.IsPastDue, lastRun), "");
        }
    }

    private static (TimerTriggerValue? Value, string Problem) ReadTimerValue(JsonElement element)
    {
        try
        {
            // Depending on the host version the trigger value arrives as an object or as a JSON string holding one.
            var value = element.ValueKind == JsonValueKind.String
                ? JsonSerializer.Deserialize(element.GetString()!, CustomHandlerJsonContext.Default.TimerTriggerValue)
                : element.ValueKind == JsonValueKind.Object
                    ? element.Deserialize(CustomHandlerJsonContext.Default.TimerTriggerValue)
                    : null;
            return value is null
                ? (null, $"\"Data.{TimerBindingName}\" is a JSON {element.ValueKind}; expected an object with \"ScheduleStatus\" and \"IsPastDue\".")
                : (value, "");
        }
        catch (JsonException ex)
        {
            return (null, $"\"Data.{TimerBindingName}\" is not a timer trigger value ({ex.Message}); expected {{\"ScheduleStatus\": {{\"Last\", \"Next\", \"LastUpdated\"}}, \"IsPastDue\": true|false}}.");
        }
    }

    private static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    private static DateTimeOffset AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => new DateTimeOffset(value, TimeSpan.Zero),
        DateTimeKind.Local => new DateTimeOffset(value.ToUniversalTime(), TimeSpan.Zero),
        _ => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc), TimeSpan.Zero),
    };
}
