using System.Globalization;
using System.Text;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>How one SLI objective came out at the last analysis.</summary>
public enum GateOutcome
{
    Pass,
    Warning,
    Fail,
    Inconclusive,
}

/// <summary>One gate result as shown on the PR: e.g. <c>error_rate</c>, Pass, observed 0.42 against "&lt; 1", unit "%".</summary>
public sealed record GateResultView
{
    public GateResultView(string objective, GateOutcome outcome, double? observed, string criterion, string? unit = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objective);
        ArgumentException.ThrowIfNullOrWhiteSpace(criterion);
        if (!Enum.IsDefined(outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown gate outcome.");
        }

        if (observed is { } value && !double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(observed), observed, "An observed value is a finite number, or null when there was no data.");
        }

        Objective = objective;
        Outcome = outcome;
        Observed = observed;
        Criterion = criterion;
        Unit = unit;
    }

    public string Objective { get; }
    public GateOutcome Outcome { get; }

    /// <summary>Null when there was no data (which is Inconclusive, never a pass).</summary>
    public double? Observed { get; }
    public string Criterion { get; }
    public string? Unit { get; }
}

/// <summary>An approval (or rejection) given so far.</summary>
public sealed record ApprovalView(string Login, bool Approved, DateTimeOffset At, string? Comment = null);

/// <summary>
/// What the sticky status comment on the PR shows about a release: where it is (stage, step, traffic weight), the
/// latest gate results, who approved, and what happens next.
/// </summary>
public sealed record ReleaseStatusView
{
    public ReleaseStatusView(
        ReleaseId release,
        string state,
        string? environment,
        int step,
        int stepCount,
        double? trafficWeightPercent,
        IReadOnlyList<GateResultView> gates,
        IReadOnlyList<ApprovalView> approvals,
        string nextStep,
        DateTimeOffset updatedAt)
    {
        ArgumentNullException.ThrowIfNull(release);
        ArgumentException.ThrowIfNullOrWhiteSpace(state);
        ArgumentException.ThrowIfNullOrWhiteSpace(nextStep);
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        if (step < 0 || step > stepCount)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"A step is between 0 (not started) and the step count {stepCount}.");
        }

        if (trafficWeightPercent is { } weight && (!double.IsFinite(weight) || weight < 0 || weight > 100))
        {
            throw new ArgumentOutOfRangeException(nameof(trafficWeightPercent), trafficWeightPercent, "A traffic weight is a percentage from 0 to 100.");
        }

        Release = release;
        State = state;
        Environment = environment;
        Step = step;
        StepCount = stepCount;
        TrafficWeightPercent = trafficWeightPercent;
        Gates = gates?.ToArray() ?? throw new ArgumentNullException(nameof(gates));
        Approvals = approvals?.ToArray() ?? throw new ArgumentNullException(nameof(approvals));
        NextStep = nextStep;
        UpdatedAt = updatedAt.ToUniversalTime();
    }

    public ReleaseId Release { get; }

    /// <summary>E.g. "Soaking", "Waiting for approval", "Promoted", "Rolled back".</summary>
    public string State { get; }
    public string? Environment { get; }
    public int Step { get; }
    public int StepCount { get; }

    /// <summary>Share of traffic on the new version, in percent [0, 100]; null for strategies without weights.</summary>
    public double? TrafficWeightPercent { get; }
    public IReadOnlyList<GateResultView> Gates { get; }
    public IReadOnlyList<ApprovalView> Approvals { get; }
    public string NextStep { get; }
    public DateTimeOffset UpdatedAt { get; }
}

/// <summary>Renders the sticky status comment as GitHub markdown, starting with the hidden marker that finds it again.</summary>
public static class ReleaseStatusComment
{
    /// <summary>The hidden marker of a release's status comment: an HTML comment GitHub does not display.</summary>
    public static string Marker(ReleaseId release) => $"<!-- releasefunctions:status:{release.InstanceId} -->";

    public static string Render(ReleaseStatusView status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(Marker(status.Release));
        md.AppendLine(c, $"### Release of `{status.Release.MergeCommitSha[..12]}`: {Text(status.State)}");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("| --- | --- |");
        if (status.Environment is { } environment)
        {
            md.AppendLine(c, $"| Environment | {Cell(environment)} |");
        }

        md.AppendLine(c, $"| Step | {status.Step} of {status.StepCount} |");
        if (status.TrafficWeightPercent is { } weight)
        {
            md.AppendLine(c, $"| Traffic on the new version | {weight.ToString("0.##", c)}% |");
        }

        md.AppendLine(c, $"| Updated | {status.UpdatedAt.ToString("yyyy-MM-dd HH:mm:ss", c)} UTC |");
        md.AppendLine();
        md.AppendLine("#### Gates");
        if (status.Gates.Count == 0)
        {
            md.AppendLine("No analysis yet.");
        }
        else
        {
            md.AppendLine("| Objective | Result | Observed | Criterion |");
            md.AppendLine("| --- | --- | --- | --- |");
            foreach (var gate in status.Gates)
            {
                var unit = gate.Unit is null ? "" : " " + Cell(gate.Unit);
                var observed = gate.Observed is { } value ? value.ToString("0.####", c) + unit : "no data";
                md.AppendLine(c, $"| {Cell(gate.Objective)} | {Badge(gate.Outcome)} | {observed} | {Cell(gate.Criterion)}{unit} |");
            }
        }

        md.AppendLine();
        md.AppendLine("#### Approvals");
        if (status.Approvals.Count == 0)
        {
            md.AppendLine("None yet.");
        }

        foreach (var approval in status.Approvals)
        {
            var verb = approval.Approved ? "approved" : "rejected";
            var note = approval.Comment is null ? "" : $": {Text(approval.Comment)}";
            md.AppendLine(c, $"- @{Text(approval.Login)} {verb} at {approval.At.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", c)} UTC{note}");
        }

        md.AppendLine();
        md.AppendLine(c, $"**Next:** {Text(status.NextStep)}");
        md.AppendLine();
        md.Append("<sub>Comment `/approve`, `/reject`, `/promote`, `/pause`, `/resume`, `/rollback`, `/abort` or `/status` (each may be followed by a note).</sub>");
        return md.ToString();
    }

    private static string Badge(GateOutcome outcome) => outcome switch
    {
        GateOutcome.Pass => "✅ pass",
        GateOutcome.Warning => "⚠️ warning",
        GateOutcome.Fail => "❌ fail",
        _ => "❔ inconclusive",
    };

    /// <summary>Text from people or settings, kept from breaking the markdown or opening HTML (an early marker, say).</summary>
    private static string Text(string value) =>
        value.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Cell(string value) => Text(value).Replace("|", "\\|", StringComparison.Ordinal);
}
