using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Azure.Core;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>
/// Azure Resource Manager calls for the deployment targets: reads and writes through the shared resilient client,
/// and long-running operations (202 with <c>Azure-AsyncOperation</c> or <c>Location</c>) polled on the injected clock until
/// they end or <see cref="AzureTargetOptions.OperationTimeout"/> runs out. Tokens go only to the configured ARM host.
/// </summary>
internal sealed partial class ArmResourceClient
{
    private readonly AzureTargetOptions _options;
    private readonly ResilientHttpClient _http;
    private readonly BearerTokenSource _tokens;
    private readonly TimeProvider _time;

    public ArmResourceClient(HttpClient http, AzureTargetOptions options, TokenCredential credential, TimeProvider time, string system)
    {
        _options = options;
        _time = time;
        _http = new ResilientHttpClient(http, options.Resilience, time, system);
        _tokens = new BearerTokenSource(credential, options.TokenScope, time, system);
    }

    public ResilientHttpClient Http => _http;

    /// <summary>Checks a resource id from a policy against the shape its provider documents.</summary>
    public static string ResourceId(IReadOnlyDictionary<string, string> parameters, string provider, string resourceType, string example)
    {
        if (!parameters.TryGetValue("resource_id", out var id) || string.IsNullOrWhiteSpace(id))
        {
            throw new IntegrationException(provider, IntegrationFailureKind.Rejected, $"the target needs the parameter resource_id, e.g. {example}.");
        }

        var pattern = $"^/subscriptions/[^/?#]+/resourceGroups/[^/?#]+/providers/{Regex.Escape(resourceType)}/[^/?#]+$";
        return Regex.IsMatch(id.TrimEnd('/'), pattern, RegexOptions.IgnoreCase)
            ? id.TrimEnd('/')
            : throw new IntegrationException(provider, IntegrationFailureKind.Rejected, $"resource_id must be a {resourceType} resource id such as {example}; got '{id}'.");
    }

    public Uri Url(string path, string apiVersion)
        => new($"{_options.ResourceManagerEndpoint.AbsoluteUri.TrimEnd('/')}{path}?api-version={Uri.EscapeDataString(apiVersion)}");

    public Task<T> GetAsync<T>(string path, string apiVersion, IntegrationCall call, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var uri = Url(path, apiVersion);
        return _http.SendForJsonAsync(ct => _tokens.AuthorizeAsync(new HttpRequestMessage(HttpMethod.Get, uri), ct), call, type, cancellationToken);
    }

    /// <summary>Sends a change and, when ARM answers that it continues in the background, waits for it to end.</summary>
    public async Task SendAsync<TBody>(HttpMethod method, string path, string apiVersion, TBody body, JsonTypeInfo<TBody> type, IntegrationCall call, CancellationToken cancellationToken)
    {
        var uri = Url(path, apiVersion);
        var json = JsonSerializer.Serialize(body, type);
        var started = _time.GetUtcNow();
        using var response = await _http.SendAsync(
            ct => _tokens.AuthorizeAsync(new HttpRequestMessage(method, uri) { Content = new StringContent(json, Encoding.UTF8, "application/json") }, ct),
            call,
            cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Created)
        {
            await WaitForOperationAsync(response, call, started, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitForOperationAsync(HttpResponseMessage accepted, IntegrationCall call, DateTimeOffset started, CancellationToken cancellationToken)
    {
        var asyncOperation = accepted.Headers.TryGetValues("Azure-AsyncOperation", out var values) ? values.FirstOrDefault() : null;
        var location = accepted.Headers.Location?.AbsoluteUri;
        var monitor = asyncOperation ?? location;
        if (monitor is null)
        {
            // 201 with no monitor URL is a finished creation; 202 with none cannot be followed.
            if (accepted.StatusCode == HttpStatusCode.Accepted)
            {
                throw _http.Malformed(call, "202 Accepted without an Azure-AsyncOperation or Location header to follow");
            }

            return;
        }

        var monitorUri = TrustedMonitor(monitor, call);
        var deadline = started + _options.OperationTimeout;
        var wait = PollDelay(accepted);
        while (true)
        {
            if (_time.GetUtcNow() + wait > deadline)
            {
                throw new IntegrationException(_http.System, IntegrationFailureKind.Timeout,
                    $"{call.Operation} on {call.Resource} did not finish within {_options.OperationTimeout.TotalMinutes:0.#} minutes; it may still complete, read the state before retrying.");
            }

            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            using var poll = await _http.SendAsync(
                ct => _tokens.AuthorizeAsync(new HttpRequestMessage(HttpMethod.Get, monitorUri), ct),
                new IntegrationCall($"follow {call.Operation}", call.Resource, call.RequiredAccess),
                cancellationToken).ConfigureAwait(false);
            wait = PollDelay(poll);
            if (asyncOperation is not null)
            {
                var status = await _http.ReadJsonAsync(poll, call, DeploymentJsonContext.Default.ArmOperationStatus, cancellationToken).ConfigureAwait(false);
                switch (status.Status)
                {
                    case "Succeeded":
                        return;
                    case "Failed" or "Canceled":
                        throw new IntegrationException(_http.System, IntegrationFailureKind.Unavailable,
                            $"{call.Operation} on {call.Resource} ended {status.Status}: {status.Error?.Code}: {status.Error?.Message}");
                    case null:
                        throw _http.Malformed(call, "the operation status has no 'status'");
                }
            }
            else if (poll.StatusCode != HttpStatusCode.Accepted)
            {
                return;
            }
        }
    }

    private Uri TrustedMonitor(string monitor, IntegrationCall call)
    {
        if (!Uri.TryCreate(monitor, UriKind.Absolute, out var uri)
            || !string.Equals(uri.Authority, _options.ResourceManagerEndpoint.Authority, StringComparison.OrdinalIgnoreCase))
        {
            throw _http.Malformed(call, $"the operation monitor URL '{monitor}' is not on {_options.ResourceManagerEndpoint.Authority}; no token is sent elsewhere");
        }

        return uri;
    }

    private TimeSpan PollDelay(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter?.Delta;
        return retryAfter is { } delta && delta > TimeSpan.Zero
            ? (delta > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : delta)
            : _options.OperationPollInterval;
    }
}
