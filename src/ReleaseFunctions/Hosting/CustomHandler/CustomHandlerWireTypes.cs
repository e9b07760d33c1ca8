using System.Text.Json;
using System.Text.Json.Serialization;

namespace ReleaseFunctions.Hosting.CustomHandler;

/// <summary>
/// The response the Functions host expects from a custom handler invocation. <c>Outputs</c> holds values for output
/// bindings (a timer function has none), <c>Logs</c> lines for the invocation log, <c>ReturnValue</c> a $return value.
/// </summary>
internal sealed record InvocationResponse(IReadOnlyDictionary<string, JsonElement> Outputs, IReadOnlyList<string> Logs, string? ReturnValue)
{
    public static InvocationResponse WithLogs(IReadOnlyList<string> logs) => new(new Dictionary<string, JsonElement>(), logs, null);
}

/// <summary>The timer trigger value the host puts in <c>Data.timer</c> (a serialized TimerInfo).</summary>
internal sealed class TimerTriggerValue
{
    public TimerScheduleStatus? ScheduleStatus { get; set; }

    public bool IsPastDue { get; set; }
}

/// <summary>
/// The host's record of the schedule before this run: <c>Next</c> is the occurrence now being run, <c>Last</c> the one
/// before it (<c>0001-01-01</c> when there was none). Times without an offset are UTC.
/// </summary>
internal sealed class TimerScheduleStatus
{
    public DateTime Last { get; set; }

    public DateTime Next { get; set; }

    public DateTime LastUpdated { get; set; }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(InvocationResponse))]
[JsonSerializable(typeof(TimerTriggerValue))]
internal sealed partial class CustomHandlerJsonContext : JsonSerializerContext;
