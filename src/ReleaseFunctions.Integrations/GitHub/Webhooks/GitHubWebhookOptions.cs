namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>
/// Settings of the GitHub webhook endpoint. Bound from configuration (section <c>GitHub:Webhook</c>) and checked by
/// <see cref="Validate"/> when the handler is built, so a bad setting stops the app at start, not at the first delivery.
/// </summary>
public sealed class GitHubWebhookOptions
{
    /// <summary>Default body limit: 1 MiB. GitHub caps its own payloads at 25 MB, but release events are a few KiB.</summary>
    public const int DefaultMaxBodyBytes = 1024 * 1024;

    /// <summary>
    /// The webhook secrets accepted. Required, at least one. During a rotation list both the old and the new secret;
    /// a delivery signed with any of them is accepted.
    /// </summary>
    public IList<string> Secrets { get; set; } = [];

    /// <summary>The release branches used when none are configured.</summary>
    public static readonly IReadOnlyList<string> DefaultReleaseBranches = ["main"];

    /// <summary>
    /// Base branches whose merges start a release; when empty, <see cref="DefaultReleaseBranches"/> (<c>main</c>). A
    /// <c>*</c> matches within one path segment (<c>release/*</c> matches <c>release/1.2</c>, not <c>release/1/2</c>);
    /// <c>**</c> matches across segments. (Empty rather than pre-filled, because configuration binding appends to a
    /// list that already has items.)
    /// </summary>
    public IList<string> ReleaseBranches { get; set; } = [];

    internal IReadOnlyList<string> EffectiveReleaseBranches => ReleaseBranches is { Count: > 0 } ? ReleaseBranches.ToArray() : DefaultReleaseBranches;

    /// <summary>The largest body accepted, in bytes. Default <see cref="DefaultMaxBodyBytes"/> (1 MiB); larger bodies get 413.</summary>
    public int MaxBodyBytes { get; set; } = DefaultMaxBodyBytes;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting and what is expected.</summary>
    public void Validate()
    {
        if (Secrets is null || Secrets.Count == 0)
        {
            throw new ArgumentException("GitHub:Webhook:Secrets needs at least one webhook secret (the one set on the GitHub webhook or App).");
        }

        for (var i = 0; i < Secrets.Count; i++)
        {
            if (string.IsNullOrEmpty(Secrets[i]))
            {
                throw new ArgumentException($"GitHub:Webhook:Secrets[{i}] is empty; every listed secret must be a non-empty string.");
            }
        }

        for (var i = 0; i < (ReleaseBranches?.Count ?? 0); i++)
        {
            if (string.IsNullOrWhiteSpace(ReleaseBranches![i]))
            {
                throw new ArgumentException($"GitHub:Webhook:ReleaseBranches[{i}] is empty; expected a branch name or glob such as 'release/*'.");
            }
        }

        if (MaxBodyBytes is < 1024 or > 64 * 1024 * 1024)
        {
            throw new ArgumentException($"GitHub:Webhook:MaxBodyBytes is {MaxBodyBytes}; expected between 1024 and 67108864 bytes (default 1048576).");
        }
    }
}
