namespace ReleaseFunctions.Hosting.Functions;

/// <summary>
/// An HTTP-triggered function: the Functions host forwards requests on <see cref="Route"/> (the app's own path,
/// without the leading '/') for <see cref="Methods"/> unchanged to the app, whose ordinary endpoint serves them.
/// </summary>
public sealed record HttpFunctionDeclaration : FunctionDeclaration
{
    private static readonly string[] KnownMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"];

    // The Functions host keeps these route prefixes for its own endpoints.
    private static readonly string[] ReservedPrefixes = ["admin", "runtime"];

    public HttpFunctionDeclaration(string name, string route, IReadOnlyList<string> methods)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(methods);
        var trimmed = route.Trim();
        if (trimmed.Length == 0 || trimmed.StartsWith('/') || trimmed.EndsWith('/'))
        {
            throw new ArgumentException(
                $"Route '{route}' of HTTP function '{name}' is not valid; expected a non-empty path without a leading or trailing '/', e.g. 'api/github/webhook'.",
                nameof(route));
        }

        var firstSegment = trimmed.Split('/')[0];
        if (ReservedPrefixes.Any(prefix => string.Equals(prefix, firstSegment, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException(
                $"Route '{route}' of HTTP function '{name}' starts with '{firstSegment}', which the Functions host reserves; expected another first segment.",
                nameof(route));
        }

        if (methods.Count == 0)
        {
            throw new ArgumentException($"HTTP function '{name}' has no methods; expected at least one of {string.Join(", ", KnownMethods)}.", nameof(methods));
        }

        var normalized = new List<string>(methods.Count);
        foreach (var method in methods)
        {
            var upper = method?.Trim().ToUpperInvariant() ?? "";
            if (!KnownMethods.Contains(upper))
            {
                throw new ArgumentException($"HTTP function '{name}' has method '{method}'; expected one of {string.Join(", ", KnownMethods)}.", nameof(methods));
            }

            if (!normalized.Contains(upper))
            {
                normalized.Add(upper);
            }
        }

        Route = trimmed;
        Methods = normalized;
    }

    public string Route { get; }

    /// <summary>Upper-case HTTP methods, without duplicates, in declaration order.</summary>
    public IReadOnlyList<string> Methods { get; }
}
