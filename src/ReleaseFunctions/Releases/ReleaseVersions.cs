using System.Globalization;
using System.Text.Json;
using Microsoft.DurableTask;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.ReleaseNotes;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <param name="IdempotencyKey">Derived by the orchestrator, the same for every attempt: kept in the GitHub release it makes.</param>
public sealed record ReleaseVersionRequest(ReleaseRequest Release, string PolicyYaml, string IdempotencyKey);

/// <summary>What became of one thing a promotion publishes (the tag, the GitHub release).</summary>
/// <param name="State">created, existed (reused as it was), skipped (could not be made, see <paramref name="Detail"/>), not-asked (the policy turns it off) or on-another-commit (a tag).</param>
public sealed record PublishedStep(string State, string? Detail = null, string? Url = null)
{
    public static PublishedStep NotAsked(string setting) => new("not-asked", $"{setting}: false in the policy");
}

/// <summary>The version a promoted release got and what was published for it: the <c>release-version</c> record's evidence.</summary>
/// <param name="Version">The semantic version; null when none could be given (see <paramref name="Refusal"/>).</param>
/// <param name="PreviousFrom">Where the previous version was read: a promoted release's trail, or a tag on GitHub.</param>
/// <param name="Decision">Why this version (the labels that bumped it, the policy's value, the initial version).</param>
/// <param name="PullRequestsFrom">Where the pull requests in the notes were read.</param>
/// <param name="Refusal">Why nothing was published; the release stays promoted.</param>
public sealed record ReleaseVersionOutcome(
    string? Version,
    string? Tag,
    string CommitSha,
    string? PreviousVersion,
    string? PreviousCommitSha,
    string? PreviousFrom,
    string? Bump,
    string Decision,
    bool AlreadyReleased,
    IReadOnlyList<MergedPullRequest> PullRequests,
    string PullRequestsFrom,
    string? Notes,
    PublishedStep TagResult,
    PublishedStep GitHubRelease,
    string IdempotencyKey,
    string? Refusal = null)
{
    /// <summary>One line for the trail: the version and why, the notes, the tag and the release.</summary>
    public string Summary()
    {
        var count = PullRequests.Count == 1 ? "1 pull request" : $"{PullRequests.Count} pull requests";
        return $"{Tag} ({Decision}); {count} in the notes; tag {Describe(TagResult)}; GitHub release {Describe(GitHubRelease)}";
    }

    private string Describe(PublishedStep step) => step.State switch
    {
        "created" or "existed" => $"{step.State}{(step.Url is null ? "" : $" {step.Url}")}{(step.Detail is null ? "" : $" ({step.Detail})")}",
        _ => $"{step.State}: {step.Detail}",
    };
}

/// <summary>
/// The version of a promoted release (policy <c>release</c>): the previous version from the service's last promoted
/// release that recorded one (no GitHub call), else the highest version tag on GitHub; the pull requests merged since
/// (GitHub compare), or without GitHub this release's own; the next version from their labels or the policy; the notes;
/// then the tag on the merge commit and the GitHub release, each reused when it exists. Safe to run again: nothing is
/// made twice, and a tag of the same name elsewhere is refused, never moved.
/// </summary>
internal sealed class PublishReleaseVersion(IReleaseLedger ledger, IReleasePublisher publisher) : TaskActivity<ReleaseVersionRequest, ReleaseVersionOutcome>
{
    /// <summary>The service's promoted releases looked at, newest first, for one that recorded a version.</summary>
    private const int Candidates = 20;

    public override async Task<ReleaseVersionOutcome> RunAsync(TaskActivityContext context, ReleaseVersionRequest input)
    {
        var policy = ReleasePolicyParser.Parse(input.PolicyYaml).Policy?.ReleaseNotes
                     ?? throw new InvalidOperationException("The release policy has no 'release' section; nothing to version.");
        var request = input.Release;
        var head = request.MergeCommitSha.ToLowerInvariant();
        var cancellation = ActivityCancellation.None;
        var unavailable = publisher.Unavailable;
        var previous = await PreviousFromLedgerAsync(request, cancellation)
                       ?? (unavailable is null ? await publisher.LatestVersionAsync(request.Repository, policy.TagPrefix, head, request.InstallationId, cancellation) : null);

        var own = new MergedPullRequest(request.PullRequest, request.Title, request.Author, request.Labels);
        var (merged, mergedFrom) = await MergedSinceAsync(request, previous, own, unavailable, cancellation);
        var decision = ReleaseVersioning.Decide(policy, previous, head, merged);
        ReleaseVersionOutcome Outcome(string? tag, string? notes, PublishedStep tagged, PublishedStep released, string? refusal = null) => new(
            decision.Version?.ToString(), tag, head, previous?.Version.ToString(), previous?.CommitSha, previous?.Source, decision.Bump?.ToString().ToLowerInvariant(),
            decision.Reason, decision.AlreadyReleased, merged, mergedFrom, notes, tagged, released, input.IdempotencyKey, refusal);

        var notAttempted = new PublishedStep("skipped", "no version");
        if (decision.Version is not { } version)
        {
            return Outcome(null, null, notAttempted, notAttempted, decision.Refusal);
        }

        var tag = version.Tag(policy.TagPrefix);
        var notes = policy.Notes ? ReleaseNotesMarkdown.Render(policy, merged, previous?.Version.Tag(policy.TagPrefix)) : null;
        PublishedStep tagged;
        if (!policy.Tag)
        {
            tagged = PublishedStep.NotAsked("release.tag");
        }
        else if (unavailable is not null)
        {
            tagged = new PublishedStep("skipped", unavailable);
        }
        else
        {
            var outcome = await publisher.TagAsync(request.Repository, tag, head, request.InstallationId, cancellation);
            if (outcome.State == TagState.OnAnotherCommit)
            {
                var refusal = $"tag {tag} is already on commit {outcome.CommitSha}, not on this release's merge commit {head}; a tag is never moved, so neither it nor a GitHub "
                              + $"release was made (if {tag} is wrong, delete it and promote again; if it is right, this release needs another version)";
                return Outcome(tag, notes, new PublishedStep("on-another-commit", outcome.CommitSha), new PublishedStep("skipped", $"tag {tag} is on another commit"), refusal);
            }

            tagged = new PublishedStep(outcome.State == TagState.Created ? "created" : "existed", $"on {Short(head)}");
        }

        PublishedStep released;
        if (!policy.GitHubRelease)
        {
            released = PublishedStep.NotAsked("release.github_release");
        }
        else if (unavailable is not null)
        {
            released = new PublishedStep("skipped", unavailable);
        }
        else
        {
            var published = await publisher.PublishAsync(request.Repository, new ReleasePublication(tag, tag, notes ?? "", head, version.IsPrerelease), input.IdempotencyKey,
                request.InstallationId, cancellation);
            released = new PublishedStep(published.Created ? "created" : "existed", Url: published.Url);
        }

        return Outcome(tag, notes, tagged, released);
    }

    /// <summary>
    /// The version recorded by the service's newest promoted release before this one that recorded one (a promoted release
    /// whose notes failed recorded none, so the next one compares from the last version that was published).
    /// </summary>
    private async Task<PreviousVersion?> PreviousFromLedgerAsync(ReleaseRequest request, CancellationToken cancellationToken)
    {
        var page = await ledger.ListReleasesAsync(new ReleaseFilter(Service: request.Service, Statuses: [ReleaseStatus.Promoted], PageSize: Candidates), cancellationToken);
        var promoted = page.Releases
            .Where(r => r.InstanceId != request.Id.InstanceId && r.Status == ReleaseStatus.Promoted && string.Equals(r.Service, request.Service, StringComparison.Ordinal))
            .OrderByDescending(r => r.CompletedAt ?? r.UpdatedAt);
        foreach (var release in promoted)
        {
            var recorded = (await ledger.GetAuditTrailAsync(release.InstanceId, cancellationToken)).LastOrDefault(r => r.Kind == ReleaseVersionStep.Recorded);
            if (recorded is null)
            {
                continue;
            }

            using var evidence = JsonDocument.Parse(recorded.EvidenceJson);
            var root = evidence.RootElement;
            if (Text(root, "version") is { } text && SemanticVersionOrNull(text) is { } version)
            {
                var when = (release.CompletedAt ?? release.UpdatedAt).ToString("u", CultureInfo.InvariantCulture);
                return new PreviousVersion(version, (Text(root, "commitSha") ?? release.MergeCommitSha).ToLowerInvariant(), $"release {release.InstanceId}, promoted {when}");
            }
        }

        return null;
    }

    /// <summary>The pull requests the notes list and the labels bump by, and where they were read.</summary>
    private async Task<(IReadOnlyList<MergedPullRequest> Merged, string From)> MergedSinceAsync(
        ReleaseRequest request, PreviousVersion? previous, MergedPullRequest own, string? unavailable, CancellationToken cancellationToken)
    {
        if (previous is null)
        {
            return ([own], "this pull request: no version was released before, so there is nothing to compare with");
        }

        if (string.Equals(previous.CommitSha, request.MergeCommitSha, StringComparison.OrdinalIgnoreCase))
        {
            return ([own], $"this pull request: its merge commit was released as {previous.Version} before");
        }

        if (unavailable is not null)
        {
            return ([own], $"this pull request only, as the release ledger knows it: {unavailable}");
        }

        var found = await publisher.MergedBetweenAsync(request.Repository, previous.CommitSha, request.MergeCommitSha, request.InstallationId, cancellationToken);
        // This release's own pull request as the webhook told it, should GitHub not list it.
        IReadOnlyList<MergedPullRequest> merged = found.Any(p => p.Number == own.Number) ? found : [.. found, own];
        return (merged, $"GitHub: the pull requests merged between {Short(previous.CommitSha)} ({previous.Version}) and {Short(request.MergeCommitSha)}");
    }

    private static SemanticVersion? SemanticVersionOrNull(string text)
    {
        try
        {
            return SemanticVersion.Parse(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Short(string sha) => sha.Length > 12 ? sha[..12].ToLowerInvariant() : sha.ToLowerInvariant();
}

/// <summary>
/// The orchestrator's side of the policy's <c>release</c>, after the release is promoted: the
/// <see cref="PublishReleaseVersion"/> activity (retried like other I/O) and its record, <c>release-version</c> with the
/// version, the previous one, the pull requests, the notes, the tag and the GitHub release, or
/// <c>release-notes-failed</c> with why. Neither changes the release: it is promoted either way.
/// </summary>
internal static class ReleaseVersionStep
{
    public const string Recorded = "release-version";
    public const string Failed = "release-notes-failed";

    public static async Task RecordAsync(ReleaseRun run, ReleaseTrail trail)
    {
        if (run.Policy.ReleaseNotes is null)
        {
            return;
        }

        var input = new ReleaseVersionRequest(run.Request, run.PolicyYaml, run.NextIdempotencyKey("release-version"));
        ReleaseVersionOutcome outcome;
        try
        {
            outcome = await run.Context.CallActivityAsync<ReleaseVersionOutcome>(nameof(PublishReleaseVersion), input, ReleaseRun.IoRetry);
        }
        catch (TaskFailedException ex)
        {
            var error = ex.FailureDetails.ErrorMessage;
            await trail.RecordAsync(Failed, ReleaseRun.Workflow, $"no version was published: {error}; the release stays promoted",
                new { error, commitSha = run.Request.MergeCommitSha.ToLowerInvariant(), input.IdempotencyKey });
            return;
        }

        if (outcome.Refusal is { } refusal)
        {
            await trail.RecordAsync(Failed, ReleaseRun.Workflow, $"no version was published: {refusal}; the release stays promoted", outcome);
            return;
        }

        await trail.RecordAsync(Recorded, ReleaseRun.Workflow, outcome.Summary(), outcome);
    }
}
