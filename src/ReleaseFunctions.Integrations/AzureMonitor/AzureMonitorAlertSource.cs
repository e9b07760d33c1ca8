using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Core;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.AzureMonitor;

/// <summary>
/// Fired alerts from Azure Monitor (provider "azuremonitor"), through the Alerts Management API:
/// <c>GET /subscriptions/{id}/providers/Microsoft.AlertsManagement/alerts</c> filtered by the watch's scope (a resource
/// as <c>targetResource</c>, a resource group as <c>targetResourceGroup</c>) and <c>monitorCondition=Fired</c>, every
/// page followed. Alerts a person closed, and severities the watch leaves out, do not count. The scope may be a
/// release parameter such as <c>{resource_id}</c>.
/// </summary>
public sealed class AzureMonitorAlertSource : IAlertSource
{
    public const string ProviderName = "azuremonitor";
    private const string SystemName = "Azure Monitor alerts";

    private readonly AzureMonitorAlertsOptions _options;
    private readonly ResilientHttpClient _http;
    private readonly BearerTokenSource _tokens;

    public AzureMonitorAlertSource(HttpClient http, AzureMonitorAlertsOptions options, TokenCredential credential, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _http = new ResilientHttpClient(http, options.Resilience, time, SystemName);
        _tokens = new BearerTokenSource(credential, options.TokenScope, time, SystemName);
    }

    public string Provider => ProviderName;

    public async Task<IReadOnlyList<FiredAlert>> FiringAsync(AlertWatch watch, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(watch);
        ArgumentNullException.ThrowIfNull(parameters);
        var scope = Scope(watch.Scope ?? "", parameters);
        var parts = scope.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var subscription = parts[1];
        var url = new StringBuilder(new Uri(_options.ResourceManagerEndpoint, $"subscriptions/{Uri.EscapeDataString(subscription)}/providers/Microsoft.AlertsManagement/alerts").AbsoluteUri)
            .Append("?api-version=").Append(Uri.EscapeDataString(_options.ApiVersion))
            .Append("&monitorCondition=Fired&timeRange=30d")
            .Append(parts.Length > 4 ? "&targetResource=" + Uri.EscapeDataString(scope) : "&targetResourceGroup=" + Uri.EscapeDataString(parts[3]));
        var call = new IntegrationCall("list fired alerts", scope, $"the Monitoring Reader role on {scope}");
        var alerts = new List<FiredAlert>();
        var next = new Uri(url.ToString());
        for (var page = 1; next is not null; page++)
        {
            if (page > _options.MaxPages)
            {
                throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                    $"the fired alerts on {scope} fill more than {_options.MaxPages} pages; narrow the watch's scope or severities rather than judge on a part");
            }

            var uri = next;
            using var response = await _http.SendAsync(ct => _tokens.AuthorizeAsync(new HttpRequestMessage(HttpMethod.Get, uri), ct), call, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            next = ReadPage(body, call, watch, alerts);
        }

        return alerts;
    }

    private Uri? ReadPage(string body, IntegrationCall call, AlertWatch watch, List<FiredAlert> alerts)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Array)
            {
                throw _http.Malformed(call, "expected an object with a 'value' array of alerts", body);
            }

            foreach (var alert in value.EnumerateArray())
            {
                if (!alert.TryGetProperty("properties", out var properties) || !properties.TryGetProperty("essentials", out var essentials) || essentials.ValueKind != JsonValueKind.Object)
                {
                    throw _http.Malformed(call, "an alert has no 'properties.essentials'", body);
                }

                var fields = essentials.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
                if (!fields.TryGetValue("startDateTime", out var started)
                    || !DateTimeOffset.TryParse(started, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var startsAt))
                {
                    throw _http.Malformed(call, "an alert has no 'essentials.startDateTime' date-time", body);
                }

                var closed = string.Equals(fields.GetValueOrDefault("alertState"), "Closed", StringComparison.OrdinalIgnoreCase);
                var fired = string.Equals(fields.GetValueOrDefault("monitorCondition"), "Fired", StringComparison.OrdinalIgnoreCase);
                if (closed || !fired || !watch.Severities.Contains(fields.GetValueOrDefault("severity") ?? "", StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }

                var name = alert.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : fields.GetValueOrDefault("alertRule", "(unnamed alert)");
                var id = alert.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
                alerts.Add(new FiredAlert(name, startsAt.ToUniversalTime(), fields, fields.GetValueOrDefault("description"), id));
            }

            return root.TryGetProperty("nextLink", out var link) && link.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(link.GetString())
                ? Uri.TryCreate(link.GetString(), UriKind.Absolute, out var nextUri) && nextUri.Host == _options.ResourceManagerEndpoint.Host
                    ? nextUri
                    : throw _http.Malformed(call, $"'nextLink' is not an address on {_options.ResourceManagerEndpoint.Host}", body)
                : null;
        }
        catch (JsonException ex)
        {
            throw _http.Malformed(call, $"the response body is not JSON ({ex.Message})", body, ex);
        }
    }

    /// <summary>The watch's scope with a <c>{parameter}</c> filled in, checked to be a resource or resource group id.</summary>
    private static string Scope(string scope, IReadOnlyDictionary<string, string> parameters)
    {
        var filled = scope;
        if (scope.StartsWith('{') && scope.EndsWith('}'))
        {
            var name = scope[1..^1];
            filled = parameters.TryGetValue(name, out var value) ? value : throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                $"the alert scope names '{scope}', which is not a parameter of this release; expected one of {string.Join(", ", parameters.Keys.Order().Select(k => "{" + k + "}"))}");
        }

        return AlertWatch.IsAzureScope(filled) && !filled.StartsWith('{')
            ? filled.TrimEnd('/')
            : throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                $"the alert scope '{filled}' is not a resource or resource group id; expected /subscriptions/ID/resourceGroups/NAME[/providers/...]");
    }
}
