using System.Text.Json;
using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.ErrorBudget;
using ReleaseFunctions.Core.Freeze;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Core.Audit;

/// <summary>The kinds of audit record Core's decisions produce.</summary>
public static class AuditKinds
{
    public const string Transition = "transition";
    public const string GateVerdict = "gate-verdict";
    public const string Analysis = "analysis";
    public const string Approval = "approval";
    public const string Freeze = "freeze";
    public const string ErrorBudget = "error-budget";
}

/// <summary>
/// Audit entries for Core's decisions, each with its evidence serialized by <see cref="CoreJsonContext"/>, so every
/// decision is recorded the same way. <paramref name="subject"/> is what the trail is about (a release's instance id).
/// </summary>
public static class AuditEntries
{
    /// <summary>Component name of decisions the workflow takes on its own.</summary>
    public const string Workflow = "release-workflow";

    public static AuditEntry Transition(string subject, ReleaseTransition transition) =>
        new(subject, transition.At, transition.Actor, AuditKinds.Transition,
            $"{transition.From} → {transition.To} ({transition.Move}): {transition.Reason}",
            JsonSerializer.Serialize(transition, CoreJsonContext.Default.ReleaseTransition));

    public static AuditEntry Gate(string subject, DateTimeOffset at, string stage, int step, GateVerdict verdict) =>
        new(subject, at, "gate", AuditKinds.GateVerdict, $"{stage} step {step}: {verdict.Reason}",
            JsonSerializer.Serialize(verdict, CoreJsonContext.Default.GateVerdict));

    public static AuditEntry Analysis(string subject, DateTimeOffset at, string stage, int step, AnalysisRunResult result) =>
        new(subject, at, "gate", AuditKinds.Analysis, $"{stage} step {step}: analysis {result.Status}: {result.Reason}",
            JsonSerializer.Serialize(result, CoreJsonContext.Default.AnalysisRunResult));

    /// <summary>The actor is who decided: the rejecting approver, the approvers of a grant, else the workflow (pending, timeout).</summary>
    public static AuditEntry Approval(string subject, DateTimeOffset at, ApprovalState state)
    {
        var actor = state switch
        {
            { RejectedBy: { } rejecter } => rejecter,
            { Status: ApprovalStatus.Granted, TimedOut: false } => string.Join(",", state.ApprovedBy),
            _ => Workflow,
        };
        return new AuditEntry(subject, at, actor, AuditKinds.Approval, $"approval {state.Status}: {state.Reason}",
            JsonSerializer.Serialize(state, CoreJsonContext.Default.ApprovalState));
    }

    public static AuditEntry Freeze(string subject, DateTimeOffset at, FreezeStatus status) =>
        new(subject, at, Workflow, AuditKinds.Freeze, status.Reason, JsonSerializer.Serialize(status, CoreJsonContext.Default.FreezeStatus));

    public static AuditEntry ErrorBudget(string subject, DateTimeOffset at, ErrorBudgetDecision decision) =>
        new(subject, at, Workflow, AuditKinds.ErrorBudget, $"{decision.Kind}: {decision.Reason}",
            JsonSerializer.Serialize(decision, CoreJsonContext.Default.ErrorBudgetDecision));
}
