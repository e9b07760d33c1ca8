using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using ReleaseFunctions.Integrations.Deployment;

namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>How much of the sandbox's traffic a feature flag gives the candidate's code path.</summary>
internal sealed record FeatureFlagRollout(bool Enabled, double Percentage);

/// <summary>
/// The sandbox's App Configuration store: a Kestrel server on 127.0.0.1 that answers the key-value REST API as App
/// Configuration does for what the feature-flag target uses (<c>GET</c> and <c>PUT /kv/{key}?label=&amp;api-version=</c>,
/// ETags with <c>If-Match</c>, 404, 412), and checks every request's HMAC-SHA256 signature with its access key (a random
/// one per start), the date within 15 minutes of its clock and the body's hash. It starts holding one feature flag (a
/// <c>Microsoft.Targeting</c> filter at 0%, with a user and a group the sandbox's anonymous load never is), which the
/// sandbox's stable version reads to decide which share of requests runs the candidate's code. With a state file, its
/// key-values survive a restart of the app, as the store's would.
/// </summary>
internal sealed class SandboxAppConfigurationStore : IAsyncDisposable
{
    private static readonly TimeSpan AllowedClockSkew = TimeSpan.FromMinutes(15);

    private readonly TimeProvider _time;
    private readonly string? _stateFile;
    private readonly object _gate = new();
    private readonly Dictionary<(string Key, string Label), KeyValueResource> _entries = new();
    private readonly Dictionary<string, (string? Etag, FeatureFlagRollout? Rollout)> _rollouts = new(StringComparer.Ordinal);
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly string _keyId = "sandbox-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private LocalHttpServer? _server;

    private SandboxAppConfigurationStore(TimeProvider time, string? stateFile)
    {
        _time = time;
        _stateFile = stateFile;
    }

    public Uri Address => _server?.Address ?? throw new InvalidOperationException("The sandbox's App Configuration store is not running.");

    /// <summary>The store's access key (its connection string signs requests to it).</summary>
    public AppConfigurationAccessKey AccessKey { get; private set; } = null!;

    public static async Task<SandboxAppConfigurationStore> StartAsync(string flagName, string? stateFile, TimeProvider time, CancellationToken cancellationToken)
    {
        var store = new SandboxAppConfigurationStore(time, stateFile);
        store.Load(flagName);
        store._server = await LocalHttpServer.StartAsync(store.HandleAsync, cancellationToken).ConfigureAwait(false);
        store.AccessKey = new AppConfigurationAccessKey(store._server.Address, store._keyId, Convert.ToBase64String(store._secret));
        return store;
    }

    /// <summary>The flag's rollout as the store holds it now; null when the flag is missing or not a rollout (nobody gets it).</summary>
    public FeatureFlagRollout? Rollout(string flagName)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue((AppConfigurationFeatureFlagTarget.KeyPrefix + flagName, ""), out var kv))
            {
                return null;
            }

            // Parsed once per version of the flag: the service asks on every request.
            if (_rollouts.TryGetValue(flagName, out var cached) && cached.Etag == kv.Etag)
            {
                return cached.Rollout;
            }

            var rollout = FeatureFlagDocument.Parse(kv.Value, out _) is { } document ? new FeatureFlagRollout(document.Enabled, document.DefaultRolloutPercentage) : null;
            _rollouts[flagName] = (kv.Etag, rollout);
            return rollout;
        }
    }

    private void Load(string flagName)
    {
        if (_stateFile is not null && File.Exists(_stateFile))
        {
            try
            {
                var saved = JsonSerializer.Deserialize(File.ReadAllText(_stateFile), AppConfigurationJsonContext.Default.ListKeyValueResource)
                            ?? throw new InvalidDataException("the file holds null");
                foreach (var kv in saved)
                {
                    _entries[(kv.Key ?? throw new InvalidDataException("an entry has no key"), kv.Label ?? "")] = kv;
                }

                return;
            }
            catch (Exception ex) when (ex is JsonException or InvalidDataException)
            {
                throw new InvalidDataException($"The sandbox's App Configuration state file {_stateFile} is damaged ({ex.Message}); expected a JSON array of key-values. Delete it to start the store with its flag at 0%.", ex);
            }
        }

        var value = new JsonObject
        {
            ["id"] = flagName,
            ["description"] = "The sandbox's candidate code path, rolled out by a release.",
            ["enabled"] = true,
            ["conditions"] = new JsonObject
            {
                ["client_filters"] = new JsonArray(new JsonObject
                {
                    ["name"] = FeatureFlagDocument.TargetingFilter,
                    ["parameters"] = new JsonObject
                    {
                        ["Audience"] = new JsonObject
                        {
                            ["Users"] = new JsonArray("alice"),
                            ["Groups"] = new JsonArray(new JsonObject { ["Name"] = "beta-testers", ["RolloutPercentage"] = 100 }),
                            ["DefaultRolloutPercentage"] = 0,
                            ["Exclusion"] = new JsonObject { ["Users"] = new JsonArray(), ["Groups"] = new JsonArray() },
                        },
                    },
                }),
            },
        }.ToJsonString();
        _entries[(AppConfigurationFeatureFlagTarget.KeyPrefix + flagName, "")] = new KeyValueResource(
            NewEtag(), AppConfigurationFeatureFlagTarget.KeyPrefix + flagName, null, AppConfigurationFeatureFlagTarget.FeatureFlagContentType, value, new Dictionary<string, string?>(), _time.GetUtcNow());
    }

    /// <summary>Written whole to a temporary file and moved into place, so a crash leaves the old state or the new one.</summary>
    private void Save()
    {
        if (_stateFile is null)
        {
            return;
        }

        var json = JsonSerializer.Serialize(_entries.Values.OrderBy(e => e.Key, StringComparer.Ordinal).ToList(), AppConfigurationJsonContext.Default.ListKeyValueResource);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_stateFile))!);
        var temporary = _stateFile + ".tmp";
        File.WriteAllText(temporary, json);
        File.Move(temporary, _stateFile, overwrite: true);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var body = buffer.ToArray();
        if (Unauthenticated(context, body) is { } refusal)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = $"HMAC-SHA256 error=\"invalid_token\" error_description=\"{refusal}\"";
            return;
        }

        // The key is one path segment, its '/' escaped as %2F: read from the request target as sent, unescaped once.
        var path = (context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "").Split('?', 2)[0];
        if (!path.StartsWith("/kv/", StringComparison.Ordinal) || path.Length == "/kv/".Length || path.IndexOf('/', "/kv/".Length) >= 0 || string.IsNullOrEmpty(request.Query["api-version"]))
        {
            await ProblemAsync(context, StatusCodes.Status400BadRequest, "invalid-argument", "Expected /kv/{key}?label={label}&api-version={api-version}, the key one path segment ('/' escaped as %2F).").ConfigureAwait(false);
            return;
        }

        var key = Uri.UnescapeDataString(path["/kv/".Length..]);
        var label = request.Query["label"].ToString() is { Length: > 0 } l && l != "\0" ? l : "";
        if (HttpMethods.IsGet(request.Method))
        {
            KeyValueResource? found;
            lock (_gate)
            {
                _entries.TryGetValue((key, label), out found);
            }

            await AnswerAsync(context, found).ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsPut(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (request.ContentType?.StartsWith(AppConfigurationFeatureFlagTarget.KeyValueMediaType, StringComparison.OrdinalIgnoreCase) != true)
        {
            await ProblemAsync(context, StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", $"Expected Content-Type {AppConfigurationFeatureFlagTarget.KeyValueMediaType}.").ConfigureAwait(false);
            return;
        }

        KeyValueWrite? write;
        try
        {
            write = JsonSerializer.Deserialize(body, AppConfigurationJsonContext.Default.KeyValueWrite);
        }
        catch (JsonException ex)
        {
            await ProblemAsync(context, StatusCodes.Status400BadRequest, "invalid-argument", $"The body is not a key-value: {ex.Message}").ConfigureAwait(false);
            return;
        }

        KeyValueResource? written = null;
        lock (_gate)
        {
            var exists = _entries.TryGetValue((key, label), out var current);
            var ifMatch = request.Headers.IfMatch.ToString();
            if (ifMatch.Length > 0 && !(ifMatch == "*" ? exists : exists && ifMatch == $"\"{current!.Etag}\""))
            {
                context.Response.StatusCode = StatusCodes.Status412PreconditionFailed;
            }
            else
            {
                written = new KeyValueResource(NewEtag(), key, label.Length == 0 ? null : label, write?.ContentType, write?.Value, write?.Tags ?? new Dictionary<string, string?>(), _time.GetUtcNow());
                _entries[(key, label)] = written;
                Save();
            }
        }

        if (written is not null)
        {
            await AnswerAsync(context, written).ConfigureAwait(false);
        }
    }

    /// <summary>Why the request's signature does not hold, or null when it does (the checks App Configuration documents).</summary>
    private string? Unauthenticated(HttpContext context, byte[] body)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        const string scheme = "HMAC-SHA256 ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return "Authorization with the HMAC-SHA256 scheme is required";
        }

        var arguments = authorization[scheme.Length..].Split('&', StringSplitOptions.TrimEntries)
            .Select(a => a.Split('=', 2))
            .Where(a => a.Length == 2)
            .ToDictionary(a => a[0], a => a[1], StringComparer.OrdinalIgnoreCase);
        if (!arguments.TryGetValue("Credential", out var credential) || !arguments.TryGetValue("SignedHeaders", out var signedHeaders) || !arguments.TryGetValue("Signature", out var signature))
        {
            return "[Credential][SignedHeaders][Signature] is required";
        }

        if (!string.Equals(credential, _keyId, StringComparison.Ordinal))
        {
            return "Invalid Credential";
        }

        var names = signedHeaders.Split(';');
        var dateHeader = names.FirstOrDefault(n => n.Equals("x-ms-date", StringComparison.OrdinalIgnoreCase)) ?? names.FirstOrDefault(n => n.Equals("date", StringComparison.OrdinalIgnoreCase));
        foreach (var required in new[] { dateHeader ?? "x-ms-date", "host", "x-ms-content-sha256" })
        {
            if (!names.Contains(required, StringComparer.OrdinalIgnoreCase))
            {
                return $"{required} is required as a signed header";
            }
        }

        var values = new List<string>();
        foreach (var name in names)
        {
            var value = name.Equals("host", StringComparison.OrdinalIgnoreCase) ? context.Request.Host.Value : context.Request.Headers[name].ToString();
            if (string.IsNullOrEmpty(value))
            {
                return $"Signed request header '{name}' is not provided";
            }

            values.Add(value);
        }

        if (!DateTimeOffset.TryParseExact(context.Request.Headers[dateHeader!].ToString(), "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            return "Invalid access token date";
        }

        if ((date - _time.GetUtcNow()).Duration() > AllowedClockSkew)
        {
            return "The access token has expired";
        }

        if (!string.Equals(context.Request.Headers["x-ms-content-sha256"].ToString(), AppConfigurationHmacPolicy.ContentHash(body), StringComparison.Ordinal))
        {
            return "The content hash does not match the body";
        }

        // The request target exactly as sent (the path's %2F included).
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path + context.Request.QueryString;
        var expected = AppConfigurationHmacPolicy.Signature(_secret, $"{context.Request.Method.ToUpperInvariant()}\n{target}\n{string.Join(';', values)}");
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)) ? null : "Invalid Signature";
    }

    private static async Task AnswerAsync(HttpContext context, KeyValueResource? kv)
    {
        if (kv is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = $"{AppConfigurationFeatureFlagTarget.KeyValueMediaType}; charset=utf-8";
        context.Response.Headers.ETag = $"\"{kv.Etag}\"";
        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(kv, AppConfigurationJsonContext.Default.KeyValueResource), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task ProblemAsync(HttpContext context, int status, string type, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json; charset=utf-8";
        await context.Response.WriteAsync(new JsonObject { ["type"] = $"https://azconfig.io/errors/{type}", ["detail"] = detail, ["status"] = status }.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    private static string NewEtag() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
