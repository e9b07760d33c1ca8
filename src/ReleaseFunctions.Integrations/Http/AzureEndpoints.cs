namespace ReleaseFunctions.Integrations.Http;

internal static class AzureEndpoints
{
    /// <summary>An absolute http(s) URL ending in '/', so relative paths resolve beneath it.</summary>
    public static Uri Absolute(Uri value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (!value.IsAbsoluteUri || (value.Scheme != Uri.UriSchemeHttps && value.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"{name} must be an absolute http(s) URL; got '{value}'.", name);
        }

        return value.AbsoluteUri.EndsWith('/') ? value : new Uri(value.AbsoluteUri + "/");
    }
}
