namespace ReleaseFunctions.GitHub;

/// <summary>
/// How merges map to services: by default a repository releases the service named like the repository's name part
/// (<c>octo/shop</c> → <c>shop</c>); indexed settings <c>ReleaseFunctions__GitHub__Services__0 = "octo/shop=shop-api"</c>
/// name another.
/// </summary>
public sealed class WebhookRoutingOptions
{
    /// <summary>Service names by repository (<c>owner/name</c>, case-insensitive). Default: none.</summary>
    public IReadOnlyDictionary<string, string> Services { get; set; } = new Dictionary<string, string>();

    public string ServiceOf(string repository)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        foreach (var (name, service) in Services)
        {
            if (string.Equals(name, repository, StringComparison.OrdinalIgnoreCase))
            {
                return service;
            }
        }

        return repository[(repository.IndexOf('/', StringComparison.Ordinal) + 1)..];
    }
}
