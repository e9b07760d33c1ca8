namespace ReleaseFunctions.Core.Releases;

/// <summary>What a person can tell a running release to do (a PR comment such as <c>/approve</c>, or the operator API).</summary>
public enum ReleaseCommandKind
{
    Approve,
    Reject,
    Promote,
    Pause,
    Resume,
    Rollback,
    Abort,
    Status,
}

/// <summary>
/// A command as it reached the app: who sent it, through which channel, when, and the optional free-text comment.
/// </summary>
public sealed record ReleaseCommand
{
    public ReleaseCommand(ReleaseCommandKind kind, string actor, string source, DateTimeOffset issuedAt, string? comment = null)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown release command.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        Kind = kind;
        Actor = actor;
        Source = source;
        IssuedAt = issuedAt.ToUniversalTime();
        Comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
    }

    public ReleaseCommandKind Kind { get; }

    /// <summary>The GitHub login or operator identity that sent the command.</summary>
    public string Actor { get; }

    /// <summary>The channel: "github-comment" or "operator-api".</summary>
    public string Source { get; }

    /// <summary>
    /// Through the operator API: the person as their sign-in names them (an Entra ID user, an application, an API
    /// key's name), when <see cref="Actor"/> is the GitHub login they act as. Null for a PR comment.
    /// </summary>
    public string? SignedInAs { get; init; }

    /// <summary>Through the operator API: how the sender signed in ("entra-id", "bearer-token", "api-key"). Null for a PR comment.</summary>
    public string? SignIn { get; init; }

    public DateTimeOffset IssuedAt { get; }
    public string? Comment { get; }

    /// <summary>The slash word of this command, e.g. "/approve".</summary>
    public static string SlashWord(ReleaseCommandKind kind) => "/" + kind.ToString().ToLowerInvariant();
}
