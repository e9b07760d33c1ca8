using System.Globalization;
using System.Text;
using System.Text.Json;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Integrations.Http;

namespace ReleaseFunctions.Integrations.Alertmanager;

/// <summary>
/// Fired alerts from Prometheus Alertmanager's API v2 (provider "alertmanager"): <c>GET /api/v2/alerts</c> with
/// <c>active=true</c>, silenced, inhibited and unprocessed alerts left out, and one <c>filter</c> per label matcher.
/// The release's parameters fill <c>{name}</c> placeholders in a matcher's quoted value, escaped for it.
/// </summary>
public sealed class AlertmanagerAlertSource : IAlertSource
{
    public const string ProviderName = "alertmanager";
    private const string SystemName = "Alertmanager";

    private readonly Uri _baseUrl;
    private readonly ResilientHttpClient _http;

    public AlertmanagerAlertSource(HttpClient http, Uri baseUrl, TimeProvider time, HttpResilienceOptions? resilience = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (!baseUrl.IsAbsoluteUri || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The Alertmanager base URL must be an absolute http(s) URL such as http://alertmanager:9093/; got '{baseUrl}'.", nameof(baseUrl));
        }

        _baseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _http = new ResilientHttpClient(http, resilience ?? new HttpResilienceOptions(), time, SystemName);
    }

    public string Provider => ProviderName;

    public async Task<IReadOnlyList<FiredAlert>> FiringAsync(AlertWatch watch, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(watch);
        ArgumentNullException.ThrowIfNull(parameters);
        var matchers = watch.Matchers;
        var query = new StringBuilder("api/v2/alerts?active=true&silenced=false&inhibited=false&unprocessed=false");
        foreach (var matcher in matchers)
        {
            query.Append("&filter=").Append(Uri.EscapeDataString(Fill(matcher, parameters)));
        }

        var url = new Uri(_baseUrl, query.ToString());
        var call = new IntegrationCall("alert query", new Uri(_baseUrl, "api/v2/alerts").AbsoluteUri, "read access to the Alertmanager API");
        using var response = await _http.SendAsync(_ => ValueTask.FromResult(new HttpRequestMessage(HttpMethod.Get, url)), call, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw _http.Malformed(call, $"expected an array of alerts, got {document.RootElement.ValueKind}", body);
            }

            return document.RootElement.EnumerateArray().Select(alert => Read(alert, call, body)).ToArray();
        }
        catch (JsonException ex)
        {
            throw _http.Malformed(call, $"the response body is not JSON ({ex.Message})", body, ex);
        }
    }

    private FiredAlert Read(JsonElement alert, IntegrationCall call, string body)
    {
        if (alert.ValueKind != JsonValueKind.Object || !alert.TryGetProperty("labels", out var labels) || labels.ValueKind != JsonValueKind.Object)
        {
            throw _http.Malformed(call, "an alert has no 'labels' object", body);
        }

        if (!alert.TryGetProperty("startsAt", out var startsAt) || startsAt.ValueKind != JsonValueKind.String
            || !DateTimeOffset.TryParse(startsAt.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started))
        {
            throw _http.Malformed(call, "an alert has no 'startsAt' date-time", body);
        }

        var labelValues = labels.EnumerateObject().Where(l => l.Value.ValueKind == JsonValueKind.String).ToDictionary(l => l.Name, l => l.Value.GetString()!, StringComparer.Ordinal);
        var summary = alert.TryGetProperty("annotations", out var annotations) && annotations.ValueKind == JsonValueKind.Object
            && annotations.TryGetProperty("summary", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        var link = alert.TryGetProperty("generatorURL", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
        return new FiredAlert(labelValues.GetValueOrDefault("alertname", "(unnamed alert)"), started.ToUniversalTime(), labelValues, summary, link);
    }

    /// <summary>Fills <c>{name}</c> with the parameter's value, escaped for a quoted matcher value; an unknown name is refused.</summary>
    private static string Fill(string matcher, IReadOnlyDictionary<string, string> parameters)
    {
        var text = new StringBuilder();
        for (var i = 0; i < matcher.Length; i++)
        {
            if (matcher[i] != '{')
            {
                text.Append(matcher[i]);
                continue;
            }

            var end = matcher.IndexOf('}', i);
            var name = end < 0 ? "" : matcher[(i + 1)..end];
            if (!parameters.TryGetValue(name, out var value))
            {
                throw new IntegrationException(SystemName, IntegrationFailureKind.Rejected,
                    $"the matcher '{matcher}' names '{{{name}}}', which is not a parameter of this release; expected one of {string.Join(", ", parameters.Keys.Order().Select(k => "{" + k + "}"))}");
            }

            text.Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal));
            i = end;
        }

        return text.ToString();
    }
}
