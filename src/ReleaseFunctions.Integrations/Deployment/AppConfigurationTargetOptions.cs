using System.Text.Json.Serialization;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>
/// An Azure App Configuration access key, as the store's connection string gives it:
/// <c>Endpoint=https://{store}.azconfig.io;Id={access key id};Secret={base64 access key value}</c>. It signs requests to
/// its own endpoint only (HMAC-SHA256). <see cref="ToString"/> never shows the secret.
/// </summary>
public sealed record AppConfigurationAccessKey
{
    public AppConfigurationAccessKey(Uri endpoint, string id, string secret)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && !(endpoint.Scheme == Uri.UriSchemeHttp && endpoint.IsLoopback)))
        {
            // The signature may be replayed for 15 minutes, so it travels over TLS (plain http only on this machine).
            throw new ArgumentException($"The App Configuration endpoint must be an https URL such as https://{{store}}.azconfig.io (http only on loopback); got '{endpoint}'.", nameof(endpoint));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        try
        {
            SecretBytes = Convert.FromBase64String(secret);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("The access key's Secret is not base64; copy the whole connection string from the store's Access settings.", nameof(secret), ex);
        }

        Endpoint = AzureEndpoints.Absolute(new Uri(endpoint.GetLeftPart(UriPartial.Authority)), nameof(endpoint));
        Id = id;
        Secret = secret;
    }

    /// <summary>The store's endpoint (scheme, host and port), ending in '/'.</summary>
    public Uri Endpoint { get; }

    /// <summary>The access key's id (the <c>Credential</c> of the signature).</summary>
    public string Id { get; }

    /// <summary>The access key's value, base64 as the connection string has it.</summary>
    public string Secret { get; }

    internal byte[] SecretBytes { get; }

    /// <summary>The connection string of this key (it holds the secret).</summary>
    public string ConnectionString => $"Endpoint={Endpoint.AbsoluteUri.TrimEnd('/')};Id={Id};Secret={Secret}";

    /// <summary>Reads a connection string <c>Endpoint=...;Id=...;Secret=...</c> (names in any case, in any order).</summary>
    /// <exception cref="FormatException">It is not one; the message never repeats the secret.</exception>
    public static AppConfigurationAccessKey Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // The secret is base64 and may end in '=': only the first '=' separates name and value.
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException("expected 'Endpoint=https://{store}.azconfig.io;Id=...;Secret=...'; a part has no '='.");
            }

            parts[part[..equals].Trim()] = part[(equals + 1)..].Trim();
        }

        var missing = new[] { "Endpoint", "Id", "Secret" }.Where(p => !parts.TryGetValue(p, out var v) || v.Length == 0).ToArray();
        if (missing.Length > 0)
        {
            throw new FormatException($"expected 'Endpoint=https://{{store}}.azconfig.io;Id=...;Secret=...'; {string.Join(" and ", missing)} missing.");
        }

        if (!Uri.TryCreate(parts["Endpoint"], UriKind.Absolute, out var endpoint))
        {
            throw new FormatException($"Endpoint '{parts["Endpoint"]}' is not an absolute URL; expected https://{{store}}.azconfig.io.");
        }

        try
        {
            return new AppConfigurationAccessKey(endpoint, parts["Id"], parts["Secret"]);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException(ex.Message.Split(" (Parameter", 2)[0], ex);
        }
    }

    public override string ToString() => $"App Configuration access key {Id} for {Endpoint.AbsoluteUri.TrimEnd('/')}";
}

/// <summary>
/// How the App Configuration feature-flag target reaches stores. A policy names the store (<c>endpoint</c>); a store with
/// an access key here (from <c>ReleaseFunctions__AppConfiguration__ConnectionString</c>) is signed with that key, any
/// other is reached with the app's Microsoft Entra identity, over https, and only when its host is one of
/// <see cref="EntraHosts"/> (App Configuration's own, so no policy can send the app's token elsewhere). The endpoint
/// <c>sandbox</c> is the local sandbox's store when it runs. Defaults: api-version 2023-11-01, token scope
/// <c>{endpoint}/.default</c>, the standard retries.
/// </summary>
public sealed record AppConfigurationTargetOptions
{
    public string ApiVersion { get; init => field = string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("ApiVersion must not be blank.", nameof(ApiVersion)) : value; } = "2023-11-01";

    /// <summary>Access keys, each used for its own store only.</summary>
    public IReadOnlyList<AppConfigurationAccessKey> AccessKeys { get; init; } = [];

    /// <summary>
    /// The hosts (each with its subdomains) the app's Entra token may go to: App Configuration in Azure's public cloud,
    /// Azure China and Azure Government.
    /// </summary>
    public IReadOnlyList<string> EntraHosts { get; init; } = ["azconfig.io", "azconfig.azure.cn", "azconfig.azure.us"];

    /// <summary>The Entra token scope; null for <c>{endpoint}/.default</c>, as the Azure SDK forms it.</summary>
    public string? TokenScope { get; init; }

    /// <summary>The local sandbox's store (endpoint <c>sandbox</c>); null when the sandbox does not run in this app.</summary>
    public Func<AppConfigurationAccessKey>? Sandbox { get; init; }

    public HttpResilienceOptions Resilience { get; init; } = new();
}

/// <summary>A key-value as App Configuration's REST API answers it (<c>application/vnd.microsoft.appconfig.kv+json</c>).</summary>
internal sealed record KeyValueResource(
    [property: JsonPropertyName("etag")] string? Etag,
    [property: JsonPropertyName("key")] string? Key,
    [property: JsonPropertyName("label")] string? Label,
    [property: JsonPropertyName("content_type")] string? ContentType,
    [property: JsonPropertyName("value")] string? Value,
    [property: JsonPropertyName("tags")] IReadOnlyDictionary<string, string?>? Tags,
    [property: JsonPropertyName("last_modified")] DateTimeOffset? LastModified = null);

/// <summary>The body of a key-value PUT: what the key-value holds afterwards (its tags and content type are repeated, as a PUT replaces them).</summary>
internal sealed record KeyValueWrite(
    [property: JsonPropertyName("value")] string Value,
    [property: JsonPropertyName("content_type")] string? ContentType,
    [property: JsonPropertyName("tags")] IReadOnlyDictionary<string, string?>? Tags);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KeyValueResource))]
[JsonSerializable(typeof(KeyValueWrite))]
[JsonSerializable(typeof(List<KeyValueResource>))]
internal sealed partial class AppConfigurationJsonContext : JsonSerializerContext;
