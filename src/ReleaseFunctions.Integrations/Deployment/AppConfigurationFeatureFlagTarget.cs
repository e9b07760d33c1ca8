using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>
/// An Azure App Configuration feature flag as a target (provider "app-configuration-flag"): a stage rolls out a flag instead
/// of traffic. Parameters: <c>endpoint</c> (the store, <c>https://{store}.azconfig.io</c>, or <c>sandbox</c>), <c>flag</c>
/// (its name), optional <c>label</c> (default: the flag without a label) and <c>on_rollback</c> (<c>zero</c>, the default:
/// the default rollout percentage goes to 0, the users and groups the audience names keep the flag, and a disabled flag
/// stays disabled; <c>disable</c>:
/// the flag is turned off for everyone).
/// <para>
/// A change reads the key-value <c>.appconfig.featureflag/{flag}</c> over the REST API (Azure.Core's pipeline, signed with
/// the store's access key or with the app's Entra token), sets <c>enabled</c> and the <c>Microsoft.Targeting</c> filter's
/// <c>DefaultRolloutPercentage</c> (a shift: the step's weight; a swap or promotion: 100; a rollback: 0 or disabled) and PUTs
/// it back with <c>If-Match</c> on the ETag it read, keeping everything else of the flag (other filters, users, groups,
/// exclusions, tags) as read. When someone changed the flag in between (412), it reads again and retries once. A flag that
/// does not exist is an error: it is never created. A read reports the default rollout percentage of an enabled flag, and 0
/// for a disabled one, as the candidate's weight.
/// </para>
/// </summary>
public sealed class AppConfigurationFeatureFlagTarget : IDeploymentTarget
{
    public const string ProviderName = "app-configuration-flag";

    /// <summary>The <c>endpoint</c> that names the local sandbox's store.</summary>
    public const string SandboxEndpoint = "sandbox";

    /// <summary>Feature flags are key-values under this prefix.</summary>
    public const string KeyPrefix = ".appconfig.featureflag/";

    /// <summary>The content type of a feature flag's key-value.</summary>
    public const string FeatureFlagContentType = "application/vnd.microsoft.appconfig.ff+json;charset=utf-8";

    internal const string KeyValueMediaType = "application/vnd.microsoft.appconfig.kv+json";
    private const string SystemName = "Azure App Configuration";

    private readonly HttpClient _http;
    private readonly AppConfigurationTargetOptions _options;
    private readonly TokenCredential _credential;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, StoreClient> _stores = new(StringComparer.Ordinal);

    public AppConfigurationFeatureFlagTarget(HttpClient http, AppConfigurationTargetOptions options, TokenCredential credential, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(time);
        _http = http;
        _options = options;
        _credential = credential;
        _time = time;
    }

    public string Provider => ProviderName;

    public async Task<TrafficState> ApplyAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shift);
        var flag = FlagRef.From(shift.Target);
        var store = Store(flag);
        // A rollback never turns a flag on: "zero" keeps a disabled flag disabled.
        (bool? Enabled, int? Percentage) wanted = shift.Action switch
        {
            TrafficAction.Shift => (true, shift.CandidateWeightPercent),
            TrafficAction.Swap or TrafficAction.Promote => (true, 100),
            TrafficAction.Rollback when flag.DisableOnRollback => (false, null),
            TrafficAction.Rollback => (null, 0),
            _ => throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, $"unknown traffic action {shift.Action}."),
        };
        var (enabled, percentage) = wanted;
        var change = percentage is { } p ? $"set {flag} to {p}%" : $"disable {flag}";

        // One retry after a conflict: someone else's change is read and kept, and ours applied on top of it.
        for (var attempt = 1; ; attempt++)
        {
            var read = await store.GetAsync(flag, cancellationToken).ConfigureAwait(false);
            var document = Document(store, flag, read.Value);
            if (document.Is(enabled, percentage))
            {
                return State(store, flag, read.Value, document, "already");
            }

            var written = await store.PutAsync(flag, read, document.With(enabled, percentage), change, cancellationToken).ConfigureAwait(false);
            if (written is not null)
            {
                return State(store, flag, written, Document(store, flag, written), "now");
            }

            if (attempt == 2)
            {
                throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                    $"{change} on {store.Endpoint}: the flag changed between reading and writing it twice in a row (412 Precondition Failed on its ETag); someone else is changing it now. Nothing was overwritten; read it and try again.", 412);
            }
        }
    }

    public async Task<TrafficState> ReadAsync(TrafficShift shift, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shift);
        var flag = FlagRef.From(shift.Target);
        var store = Store(flag);
        var read = await store.GetAsync(flag, cancellationToken).ConfigureAwait(false);
        return State(store, flag, read.Value, Document(store, flag, read.Value), "");
    }

    private TrafficState State(StoreClient store, FlagRef flag, KeyValueResource kv, FeatureFlagDocument document, string when)
        => new(document.CandidateWeightPercent, null, _time.GetUtcNow(),
            $"feature flag {flag} in {store.Endpoint}: {(when.Length > 0 ? when + " " : "")}{document.Describe()} (etag {kv.Etag ?? "none"})");

    private static FeatureFlagDocument Document(StoreClient store, FlagRef flag, KeyValueResource kv)
    {
        if (kv.ContentType is { } type && !type.StartsWith("application/vnd.microsoft.appconfig.ff+json", StringComparison.OrdinalIgnoreCase))
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                $"{flag} in {store.Endpoint} has content type '{type}', not a feature flag's ({FeatureFlagContentType}); the release changes feature flags only.");
        }

        return FeatureFlagDocument.Parse(kv.Value, out var problem)
            ?? throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, $"{flag} in {store.Endpoint} cannot be rolled out: {problem}.");
    }

    /// <summary>The client for the store a policy names: its access key when settings have one, else the app's Entra identity.</summary>
    private StoreClient Store(FlagRef flag)
    {
        if (string.Equals(flag.Endpoint, SandboxEndpoint, StringComparison.OrdinalIgnoreCase))
        {
            var sandbox = _options.Sandbox?.Invoke()
                ?? throw new IntegrationException(SystemName, IntegrationFailureKind.Unavailable,
                    $"endpoint '{SandboxEndpoint}' names the local sandbox's store, which runs only with the sandbox (ReleaseFunctions__Sandbox__Enabled=true); on Azure name the store, https://{{store}}.azconfig.io.");
            return Client(sandbox.Endpoint, sandbox, "the sandbox store's access key (the app signs with it by itself; is the sandbox running?)");
        }

        if (!Uri.TryCreate(flag.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("https" or "http")
            || endpoint.PathAndQuery != "/" || !string.IsNullOrEmpty(endpoint.UserInfo))
        {
            throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                $"endpoint '{flag.Endpoint}' is not a store's endpoint; expected https://{{store}}.azconfig.io (as the store's Overview shows it) or '{SandboxEndpoint}'.");
        }

        var root = new Uri(endpoint.GetLeftPart(UriPartial.Authority) + "/");
        if (_options.AccessKeys.FirstOrDefault(k => Uri.Compare(k.Endpoint, root, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0) is { } key)
        {
            return Client(key.Endpoint, key, $"a read-write access key of {key.Endpoint.AbsoluteUri.TrimEnd('/')} in ReleaseFunctions__AppConfiguration__ConnectionString (key id {key.Id}; a read-only key cannot change flags)");
        }

        if (root.Scheme != Uri.UriSchemeHttps || !_options.EntraHosts.Any(h => root.Host.Equals(h, StringComparison.OrdinalIgnoreCase) || root.Host.EndsWith("." + h, StringComparison.OrdinalIgnoreCase)))
        {
            // The app's token goes to App Configuration only; a store elsewhere (an emulator, a proxy) needs its access key in settings.
            throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                $"endpoint '{flag.Endpoint}' is not an App Configuration store the app's Entra identity may be sent to (https on {string.Join(", ", _options.EntraHosts.Select(h => "*." + h))}); name the store as its Overview shows it, or give its access key in ReleaseFunctions__AppConfiguration__ConnectionString.");
        }

        return Client(root, null, $"the App Configuration Data Owner role on {root.AbsoluteUri.TrimEnd('/')} for the app's identity (Data Reader only reads flags; with local authentication on, an access key in ReleaseFunctions__AppConfiguration__ConnectionString also works)");
    }

    private StoreClient Client(Uri endpoint, AppConfigurationAccessKey? key, string requiredAccess)
        => _stores.GetOrAdd($"{endpoint.AbsoluteUri}|{key?.Id ?? "entra"}|{key?.Secret.GetHashCode(StringComparison.Ordinal)}",
            _ => new StoreClient(this, endpoint, key, requiredAccess));

    /// <summary>The flag a stage names, from its parameters (the policy parser checked them; a target is called with any spec).</summary>
    private sealed record FlagRef(string Endpoint, string Name, string? Label, bool DisableOnRollback)
    {
        public string Key => KeyPrefix + Name;

        public static FlagRef From(TargetSpec target)
        {
            var parameters = target.Parameters;
            string? Get(string name) => parameters.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
            var endpoint = Get("endpoint") ?? throw Missing("endpoint", "the store's endpoint, https://{store}.azconfig.io, or sandbox");
            var name = Get("flag") ?? throw Missing("flag", "the feature flag's name, as the Feature manager lists it");
            if (name.Contains('%', StringComparison.Ordinal) || name.StartsWith(KeyPrefix, StringComparison.OrdinalIgnoreCase))
            {
                throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, $"flag '{name}' is not a feature flag's name; expected the name alone (without '{KeyPrefix}' and without '%').");
            }

            var rollback = Get("on_rollback")?.ToLowerInvariant() ?? "zero";
            return rollback is "zero" or "disable"
                ? new FlagRef(endpoint, name, Get("label"), rollback == "disable")
                : throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected, $"on_rollback is '{rollback}'; expected zero (the default rollout percentage goes to 0) or disable (the flag is turned off).");
        }

        private static IntegrationException Missing(string name, string expected)
            => new(SystemName, IntegrationFailureKind.Rejected, $"the target needs the parameter {name}: {expected}.");

        public override string ToString() => Label is null ? $"'{Name}'" : $"'{Name}' (label '{Label}')";
    }

    private sealed record KeyValueRead(KeyValueResource Value, string ETag);

    private sealed class StoreClientOptions : ClientOptions;

    /// <summary>
    /// One store: Azure.Core's pipeline with the project's retries on the injected clock and a guard that nothing (no token,
    /// no signature) is sent to another host (<see cref="ArmResiliencePolicy"/>), then the access key's signature or the
    /// SDK's bearer-token policy on each attempt.
    /// </summary>
    private sealed class StoreClient
    {
        private readonly AppConfigurationFeatureFlagTarget _owner;
        private readonly HttpPipeline _pipeline;
        private readonly ArmResiliencePolicy _retries;
        private readonly string _requiredAccess;
        private readonly string? _scope;

        public StoreClient(AppConfigurationFeatureFlagTarget owner, Uri endpoint, AppConfigurationAccessKey? key, string requiredAccess)
        {
            _owner = owner;
            Endpoint = endpoint.AbsoluteUri.TrimEnd('/');
            EndpointUri = endpoint;
            _requiredAccess = requiredAccess;
            Http = new ResilientHttpClient(owner._http, owner._options.Resilience, owner._time, SystemName);
            _retries = new ArmResiliencePolicy(Http, endpoint);
            var options = new StoreClientOptions { Transport = new HttpClientTransport(owner._http), RetryPolicy = _retries };
            options.Retry.NetworkTimeout = owner._options.Resilience.AttemptTimeout;
            HttpPipelinePolicy authentication;
            if (key is not null)
            {
                authentication = new AppConfigurationHmacPolicy(key, owner._time);
            }
            else
            {
                _scope = owner._options.TokenScope ?? $"{endpoint.GetComponents(UriComponents.SchemeAndServer, UriFormat.SafeUnescaped)}/.default";
                authentication = new BearerTokenAuthenticationPolicy(owner._credential, _scope);
            }

            _pipeline = HttpPipelineBuilder.Build(options, [], [authentication], new ResponseClassifier());
        }

        public string Endpoint { get; }

        public Uri EndpointUri { get; }

        public ResilientHttpClient Http { get; }

        public async Task<KeyValueRead> GetAsync(FlagRef flag, CancellationToken cancellationToken)
        {
            var call = Call($"read feature flag {flag}");
            using var message = Message(RequestMethod.Get, flag);
            var (response, attempts) = await SendAsync(message, call, cancellationToken).ConfigureAwait(false);
            if (response.Status == 404)
            {
                throw new IntegrationException(SystemName, IntegrationFailureKind.NotFound,
                    $"feature flag {flag} does not exist in {Endpoint} (404); create it first (Feature manager, or az appconfig feature set --endpoint {Endpoint} --feature {flag.Name}{(flag.Label is null ? "" : $" --label {flag.Label}")}) with a Microsoft.Targeting filter at 0%: a release never creates a flag.", 404);
            }

            var kv = Parse(Successful(response, call, attempts), call);
            var etag = response.Headers.TryGetValue("ETag", out var header) && !string.IsNullOrWhiteSpace(header) ? header
                : kv.Etag is { Length: > 0 } body ? $"\"{body}\""
                : throw Http.Malformed(call, "the key-value has no ETag (header or etag), so it cannot be changed safely");
            return new KeyValueRead(kv, etag);
        }

        /// <summary>Writes the flag's new value if it is still as read; null when it is not (412).</summary>
        public async Task<KeyValueResource?> PutAsync(FlagRef flag, KeyValueRead read, string value, string operation, CancellationToken cancellationToken)
        {
            var call = Call(operation);
            var body = JsonSerializer.SerializeToUtf8Bytes(new KeyValueWrite(value, read.Value.ContentType ?? FeatureFlagContentType, read.Value.Tags), AppConfigurationJsonContext.Default.KeyValueWrite);
            using var message = Message(RequestMethod.Put, flag);
            message.Request.Headers.SetValue("Content-Type", KeyValueMediaType);
            message.Request.Headers.SetValue("If-Match", read.ETag);
            message.Request.Content = RequestContent.Create(body);
            var (response, attempts) = await SendAsync(message, call, cancellationToken).ConfigureAwait(false);
            return response.Status switch
            {
                412 => null,
                404 => throw new IntegrationException(SystemName, IntegrationFailureKind.NotFound,
                    $"{operation} on {Endpoint}: the flag was deleted while the release changed it (404); nothing was created.", 404),
                409 => throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                    $"{operation} on {Endpoint}: the flag is locked (read-only, 409); unlock it (az appconfig kv unlock --endpoint {Endpoint} --key {flag.Key}) for the release to change it.{ResilientHttpClient.Quote(response.Content.ToString())}", 409),
                _ => Parse(Successful(response, call, attempts), call),
            };
        }

        private HttpMessage Message(RequestMethod method, FlagRef flag)
        {
            var message = _pipeline.CreateMessage();
            message.Request.Method = method;
            var uri = new RequestUriBuilder();
            uri.Reset(EndpointUri);
            uri.AppendPath("/kv/", escape: false);
            // The key's '/' is part of its name: %2F, one path segment.
            uri.AppendPath(flag.Key, escape: true);
            if (flag.Label is { } label)
            {
                uri.AppendQuery("label", label, true);
            }

            uri.AppendQuery("api-version", _owner._options.ApiVersion, true);
            message.Request.Uri = uri;
            message.Request.Headers.SetValue("Accept", $"{KeyValueMediaType}, application/problem+json");
            return message;
        }

        /// <summary>Sends through the pipeline; what did not get an answer becomes the project's failure.</summary>
        private async Task<(Response Response, int Attempts)> SendAsync(HttpMessage message, IntegrationCall call, CancellationToken cancellationToken)
        {
            var scope = new ArmCallScope(call);
            message.SetProperty(ArmCallScope.Property, scope);
            try
            {
                await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
                return (message.Response, scope.Attempts);
            }
            catch (Exception ex) when (ex is AuthenticationFailedException or CredentialUnavailableException)
            {
                throw new IntegrationException(SystemName, IntegrationFailureKind.Unauthorized,
                    $"{call.Operation} on {Endpoint}: no Entra token could be obtained for scope {_scope}: {ex.Message}; the identity needs {call.RequiredAccess}.", null, ex);
            }
            catch (Exception ex) when (ex is not IntegrationException)
            {
                throw Http.MapException(ex, call, scope.Attempts, cancellationToken);
            }
        }

        private Response Successful(Response response, IntegrationCall call, int attempts)
        {
            if (response.Status is >= 200 and < 300)
            {
                return response;
            }

            // A refused signature or token is explained in WWW-Authenticate, often with an empty body.
            var body = response.Content.ToString();
            if (string.IsNullOrWhiteSpace(body) && response.Headers.TryGetValue("WWW-Authenticate", out var challenge))
            {
                body = $"WWW-Authenticate: {challenge}";
            }

            throw Http.Failure(response.Status, response.ReasonPhrase, body, _retries.RetryAfter(response), call, attempts);
        }

        private KeyValueResource Parse(Response response, IntegrationCall call) => Http.ParseJson(response.Content.ToString(), call, AppConfigurationJsonContext.Default.KeyValueResource);

        private IntegrationCall Call(string operation) => new(operation, Endpoint, _requiredAccess);
    }
}
