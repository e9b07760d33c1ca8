using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.ResourceManager;
using Azure.ResourceManager.Resources;
using Azure.ResourceManager.Resources.Models;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>A resource as ARM answered it: its body in the documented shape, and its location, which a PATCH repeats.</summary>
internal sealed record ArmRead<T>(T Value, AzureLocation Location);

/// <summary>
/// Azure Resource Manager for the deployment targets, on the Azure SDK's <see cref="ArmClient"/>: generic resources for
/// reads and PATCHes, the tags resource, and the SDK's long-running operations. The one call generic resources lack, a
/// POST action (the slot swap), goes through the same client's pipeline. Every operation is followed on the injected
/// clock (the SDK's own waits use the wall clock) until it ends or <see cref="AzureTargetOptions.OperationTimeout"/> runs
/// out; retries and the host guard are <see cref="ArmResiliencePolicy"/>'s; SDK failures become
/// <see cref="IntegrationException"/>s naming the role the identity needs.
/// </summary>
internal sealed class ArmResourceClient
{
    private readonly AzureTargetOptions _options;
    private readonly ResilientHttpClient _http;
    private readonly ArmResiliencePolicy _policy;
    private readonly ArmClient _arm;
    private readonly TimeProvider _time;

    /// <param name="apiVersions">The api-version of each resource type the target reads or writes (type, version).</param>
    public ArmResourceClient(HttpClient http, AzureTargetOptions options, TokenCredential credential, TimeProvider time, string system, IReadOnlyDictionary<string, string> apiVersions)
    {
        _options = options;
        _time = time;
        _http = new ResilientHttpClient(http, options.Resilience, time, system);
        _policy = new ArmResiliencePolicy(_http, options.ResourceManagerEndpoint);
        var audience = options.TokenScope.EndsWith("/.default", StringComparison.Ordinal) ? options.TokenScope[..^"/.default".Length] : options.TokenScope;
        var armOptions = new ArmClientOptions
        {
            Environment = new ArmEnvironment(options.ResourceManagerEndpoint, audience),
            Transport = new HttpClientTransport(http),
            RetryPolicy = _policy,
        };
        armOptions.Retry.NetworkTimeout = options.Resilience.AttemptTimeout;
        foreach (var (type, version) in apiVersions)
        {
            // Set, so that generic resources never ask the provider for its versions.
            armOptions.SetApiVersion(new ResourceType(type), version);
        }

        _arm = new ArmClient(credential, null, armOptions);
    }

    public ResilientHttpClient Http => _http;

    /// <summary>Checks a resource id from a policy against the shape its provider documents.</summary>
    public static string ResourceId(IReadOnlyDictionary<string, string> parameters, string provider, string resourceType, string example)
    {
        if (!parameters.TryGetValue("resource_id", out var id) || string.IsNullOrWhiteSpace(id))
        {
            throw new IntegrationException(provider, IntegrationFailureKind.Rejected, $"the target needs the parameter resource_id, e.g. {example}.");
        }

        // The subscription is a GUID: ARM has no other kind, and the SDK's resource identifiers refuse anything else.
        var pattern = $"^/subscriptions/[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}/resourceGroups/[^/?#]+/providers/{Regex.Escape(resourceType)}/[^/?#]+$";
        return Regex.IsMatch(id.TrimEnd('/'), pattern, RegexOptions.IgnoreCase)
            ? id.TrimEnd('/')
            : throw new IntegrationException(provider, IntegrationFailureKind.Rejected, $"resource_id must be a {resourceType} resource id such as {example}; got '{id}'.");
    }

    public async Task<ArmRead<T>> GetAsync<T>(string resourceId, IntegrationCall call, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var response = await RunAsync(call, () => _arm.GetGenericResource(new ResourceIdentifier(resourceId)).GetAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        return new ArmRead<T>(_http.ParseJson(response.GetRawResponse().Content.ToString(), call, type), response.Value.Data.Location);
    }

    /// <summary>PATCHes a resource's properties and follows the change to its end.</summary>
    public async Task PatchAsync<TProperties>(string resourceId, AzureLocation location, TProperties properties, JsonTypeInfo<TProperties> type, IntegrationCall call, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var data = new GenericResourceData(location) { Properties = BinaryData.FromString(JsonSerializer.Serialize(properties, type)) };
        var operation = await RunAsync(call, () => _arm.GetGenericResource(new ResourceIdentifier(resourceId)).UpdateAsync(WaitUntil.Started, data, cancellationToken), cancellationToken).ConfigureAwait(false);
        await WaitAsync(operation, call, started, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets one tag on a resource, keeping its other tags.</summary>
    public async Task MergeTagAsync(string resourceId, string name, string value, IntegrationCall call, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var patch = new TagResourcePatch { PatchMode = TagPatchMode.Merge };
        patch.TagValues[name] = value;
        var tags = _arm.GetTagResource(TagResource.CreateResourceIdentifier(new ResourceIdentifier(resourceId)));
        var operation = await RunAsync(call, () => tags.UpdateAsync(WaitUntil.Started, patch, cancellationToken), cancellationToken).ConfigureAwait(false);
        await WaitAsync(operation, call, started, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POSTs an action on a resource (generic resources have none) and follows its operation to the end.</summary>
    public async Task PostActionAsync<TBody>(string resourceId, string action, string apiVersion, TBody body, JsonTypeInfo<TBody> type, IntegrationCall call, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var pipeline = new PipelineAccess(_arm, new ResourceIdentifier(resourceId)).HttpPipeline;
        var accepted = await RunAsync(call, async () =>
        {
            // Not disposed: the (buffered) response outlives the message, as the operation reads it.
            var message = pipeline.CreateMessage();
            message.Request.Method = RequestMethod.Post;
            message.Request.Uri.Reset(Url($"{resourceId}/{action}", apiVersion));
            message.Request.Headers.Add("Content-Type", "application/json");
            message.Request.Content = RequestContent.Create(BinaryData.FromString(JsonSerializer.Serialize(body, type)));
            await pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return Successful(message.Response, call);
        }, cancellationToken).ConfigureAwait(false);
        await WaitAsync(new ActionOperation(this, pipeline, accepted, call), call, started, cancellationToken).ConfigureAwait(false);
    }

    private Uri Url(string path, string apiVersion)
        => new($"{_options.ResourceManagerEndpoint.AbsoluteUri.TrimEnd('/')}{path}?api-version={Uri.EscapeDataString(apiVersion)}");

    /// <summary>Follows an operation, polling when ARM says (Retry-After, up to a minute) or every poll interval.</summary>
    private async Task WaitAsync(Operation operation, IntegrationCall call, DateTimeOffset started, CancellationToken cancellationToken)
    {
        var deadline = started + _options.OperationTimeout;
        var follow = new IntegrationCall($"follow {call.Operation}", call.Resource, call.RequiredAccess);
        // An answer that names no monitor URL has nothing to wait for: the SDK reads its final state without a request.
        var first = !operation.GetRawResponse().Headers.Contains("Azure-AsyncOperation") && !operation.GetRawResponse().Headers.Contains("Location");
        while (!operation.HasCompleted)
        {
            var wait = first ? TimeSpan.Zero
                : _policy.RetryAfter(operation.GetRawResponse()) is { } after && after > TimeSpan.Zero
                ? (after > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : after)
                : _options.OperationPollInterval;
            first = false;
            if (_time.GetUtcNow() + wait > deadline)
            {
                throw new IntegrationException(_http.System, IntegrationFailureKind.Timeout,
                    $"{call.Operation} on {call.Resource} did not finish within {_options.OperationTimeout.TotalMinutes:0.#} minutes; it may still complete, read the state before retrying.");
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }

            await RunAsync(follow, async () => await operation.UpdateStatusAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs SDK calls for one integration call, and turns what the SDK throws into the project's failures.</summary>
    private async Task<T> RunAsync<T>(IntegrationCall call, Func<Task<T>> send, CancellationToken cancellationToken)
    {
        var scope = new ArmCallScope(call);
        using var properties = HttpPipeline.CreateHttpMessagePropertiesScope(new Dictionary<string, object?> { [ArmCallScope.Property] = scope });
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.GetRawResponse() is { Status: >= 200 and < 300 })
        {
            // The operation's status was read and it ended without success.
            throw new IntegrationException(_http.System, IntegrationFailureKind.Unavailable,
                $"{call.Operation} on {call.Resource} ended without success: {ex.ErrorCode}: {ex.Message.Split('\n')[0].Trim()}", null, ex);
        }
        catch (RequestFailedException ex) when (ex.GetRawResponse() is { Status: > 0 } response)
        {
            throw Failure(response, call, scope.Attempts);
        }
        catch (Exception ex) when (ex is not IntegrationException)
        {
            throw _http.MapException(ex, call, scope.Attempts, cancellationToken);
        }
    }

    private IntegrationException Failure(Response response, IntegrationCall call, int attempts)
        => _http.Failure(response.Status, response.ReasonPhrase, response.Content.ToString(), _policy.RetryAfter(response), call, attempts);

    private Response Successful(Response response, IntegrationCall call)
        => response.Status is >= 200 and < 300 ? response : throw Failure(response, call, 1);

    /// <summary>The ARM client's pipeline (authenticated, with <see cref="ArmResiliencePolicy"/>), for requests generic resources cannot make.</summary>
    private sealed class PipelineAccess(ArmClient client, ResourceIdentifier id) : ArmResource(client, id)
    {
        public HttpPipeline HttpPipeline => Pipeline;
    }

    /// <summary>
    /// An action's long-running operation as ARM documents it: an <c>Azure-AsyncOperation</c> status to read until it
    /// ends, or a <c>Location</c> that answers 202 until it does; 200, or 201 without either header, has ended already.
    /// </summary>
    private sealed class ActionOperation : Operation
    {
        private readonly ArmResourceClient _owner;
        private readonly HttpPipeline _pipeline;
        private readonly IntegrationCall _call;
        private readonly Uri? _monitor;
        private readonly bool _statusMonitor;
        private Response _last;
        private bool _completed;

        public ActionOperation(ArmResourceClient owner, HttpPipeline pipeline, Response accepted, IntegrationCall call)
        {
            (_owner, _pipeline, _call, _last) = (owner, pipeline, call, accepted);
            var asyncOperation = accepted.Headers.TryGetValue("Azure-AsyncOperation", out var a) ? a : null;
            var location = accepted.Headers.TryGetValue("Location", out var l) ? l : null;
            _statusMonitor = asyncOperation is not null;
            if ((asyncOperation ?? location) is { } monitor)
            {
                _monitor = Uri.TryCreate(monitor, UriKind.Absolute, out var uri)
                    ? uri
                    : throw owner._http.Malformed(call, $"the operation monitor URL '{monitor}' is not an absolute URL");
            }
            else if (accepted.Status == 202)
            {
                throw owner._http.Malformed(call, "202 Accepted without an Azure-AsyncOperation or Location header to follow");
            }

            _completed = _monitor is null || accepted.Status == 200;
        }

        public override string Id => _monitor?.AbsoluteUri ?? _call.Resource;

        public override bool HasCompleted => _completed;

        public override Response GetRawResponse() => _last;

        public override Response UpdateStatus(CancellationToken cancellationToken = default)
            => UpdateStatusAsync(cancellationToken).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<Response> UpdateStatusAsync(CancellationToken cancellationToken = default)
        {
            var message = _pipeline.CreateMessage();
            message.Request.Method = RequestMethod.Get;
            message.Request.Uri.Reset(_monitor!);
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
            _last = _owner.Successful(message.Response, _call);
            if (!_statusMonitor)
            {
                _completed = _last.Status != 202;
                return _last;
            }

            var status = _owner._http.ParseJson(_last.Content.ToString(), _call, DeploymentJsonContext.Default.ArmOperationStatus);
            _completed = status.Status switch
            {
                "Succeeded" => true,
                "Failed" or "Canceled" => throw new IntegrationException(_owner._http.System, IntegrationFailureKind.Unavailable,
                    $"{_call.Operation} on {_call.Resource} ended {status.Status}: {status.Error?.Code}: {status.Error?.Message}"),
                null => throw _owner._http.Malformed(_call, "the operation status has no 'status'"),
                _ => false,
            };
            return _last;
        }
    }
}
