using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

internal enum InterruptionKind
{
    Promote,
    Rollback,
    Abort,
    Fail,
}

/// <summary>Why the normal course of a release stopped, who stopped it, and the evidence.</summary>
internal sealed record Interruption(InterruptionKind Kind, string Actor, string Reason, object? Evidence, string? Comment)
{
    public static Interruption Rollback(string actor, string reason, object? evidence) => new(InterruptionKind.Rollback, actor, reason, evidence, null);

    public static Interruption Aborted(ReleaseCommand command, string reason) => new(InterruptionKind.Abort, command.Actor, reason, command, command.Comment);

    public static Interruption Failed(string reason) => new(InterruptionKind.Fail, ReleaseRun.Workflow, reason, null, null);
}

internal static class ReleaseCommandText
{
    /// <summary>" (comment)" when the command came with one, for the reasons the trail records.</summary>
    public static string Because(this ReleaseCommand command) => command.Comment is { } comment ? $" ({comment})" : string.Empty;

    public static string Slash(this ReleaseCommand command) => command.Kind.ToString().ToLowerInvariant();
}
