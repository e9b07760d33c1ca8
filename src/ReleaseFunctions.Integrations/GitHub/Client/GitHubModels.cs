namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>The result of reading the policy file at a commit: found with its text, or not there (a distinct answer, not an error).</summary>
public abstract record PolicyFileLookup(string Path, string Ref);

/// <summary>The policy file exists at <paramref name="Ref"/>; <paramref name="BlobSha"/> identifies its exact content.</summary>
public sealed record PolicyFileFound(string Path, string Ref, string BlobSha, string Text) : PolicyFileLookup(Path, Ref);

/// <summary>The repository has no policy file at <paramref name="Ref"/>; the app falls back to its default policy.</summary>
public sealed record PolicyFileMissing(string Path, string Ref) : PolicyFileLookup(Path, Ref);

public enum CheckRunStatus
{
    Queued,
    InProgress,
    Completed,
}

public enum CheckRunConclusion
{
    Success,
    Failure,
    Neutral,
    Cancelled,
    TimedOut,
    ActionRequired,
    Skipped,
}

/// <summary>What the release's check run on the merge commit says. A completed run has a conclusion; others have none.</summary>
public sealed record CheckRunReport
{
    public CheckRunReport(string name, CheckRunStatus status, CheckRunConclusion? conclusion, string title, string summary, Uri? detailsUrl = null, string? externalId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentNullException.ThrowIfNull(summary);
        if ((status == CheckRunStatus.Completed) != (conclusion is not null))
        {
            throw new ArgumentException($"A check run has a conclusion exactly when it is completed; got status {status} with conclusion {conclusion?.ToString() ?? "none"}.");
        }

        if (summary.Length > 65535)
        {
            throw new ArgumentException($"A check run summary is at most 65535 characters (GitHub's limit); got {summary.Length}.", nameof(summary));
        }

        Name = name;
        Status = status;
        Conclusion = conclusion;
        Title = title;
        Summary = summary;
        DetailsUrl = detailsUrl;
        ExternalId = externalId;
    }

    public string Name { get; }
    public CheckRunStatus Status { get; }
    public CheckRunConclusion? Conclusion { get; }
    public string Title { get; }

    /// <summary>Markdown, at most 65535 characters.</summary>
    public string Summary { get; }
    public Uri? DetailsUrl { get; }

    /// <summary>Our own id for the run, e.g. the release's instance id.</summary>
    public string? ExternalId { get; }
}

/// <summary>The state of a GitHub deployment status.</summary>
public enum DeploymentState
{
    Queued,
    Pending,
    InProgress,
    Success,
    Failure,
    Error,
    Inactive,
}
