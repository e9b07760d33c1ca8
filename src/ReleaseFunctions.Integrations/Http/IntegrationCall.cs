namespace ReleaseFunctions.Integrations.Http;

/// <summary>
/// What one outside call is about, so a failure message can name it: the operation, the resource it touches,
/// and the role an identity needs for it (named when the call is refused with 401/403).
/// </summary>
internal sealed record IntegrationCall
{
    public IntegrationCall(string operation, string resource, string requiredAccess, bool repeatable = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(operation);
        ArgumentException.ThrowIfNullOrWhiteSpace(resource);
        ArgumentException.ThrowIfNullOrWhiteSpace(requiredAccess);
        Operation = operation;
        Resource = resource;
        RequiredAccess = requiredAccess;
        Repeatable = repeatable;
    }

    /// <summary>For example "query workspace".</summary>
    public string Operation { get; }

    /// <summary>For example the workspace id or ARM resource id.</summary>
    public string Resource { get; }

    /// <summary>For example "the Log Analytics Reader role on workspace 1234".</summary>
    public string RequiredAccess { get; }

    /// <summary>
    /// Whether sending the call twice does no harm (reads, absolute settings, calls with an idempotency key). A call that
    /// is not (a slot swap toggles) is retried only after 429, and otherwise fails at once so nobody repeats it blindly.
    /// </summary>
    public bool Repeatable { get; }
}
