using System.Globalization;
using System.Text;
using ReleaseFunctions.Core.Policy;

namespace ReleaseFunctions.Policy;

/// <summary>Renders the default policy from settings in the format of <c>.github/release-policy.yml</c>.</summary>
internal static class DefaultReleasePolicy
{
    public const string Location = "default policy from settings";

    /// <summary>The SLI source a <c>Sli__DefaultProvider</c> setting means ("azuremonitor" is the Log Analytics source, which runs KQL).</summary>
    public static string SliSourceFor(string setting) => string.Equals(setting, Hosting.Settings.SliOptions.AzureMonitor, StringComparison.OrdinalIgnoreCase)
        ? Integrations.AzureMonitor.LogAnalyticsSliSource.ProviderName
        : setting.ToLowerInvariant();

    /// <param name="sliProvider">The gate's SLI provider when the options name none.</param>
    public static string Render(DefaultReleasePolicyOptions options, string sliProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        var provider = options.SliProvider ?? sliProvider;
        var yaml = new StringBuilder();
        yaml.AppendLine("# The default release policy, from ReleaseFunctions__DefaultPolicy__* settings.");
        yaml.AppendLine("version: 1");
        yaml.AppendLine("stages:");
        yaml.AppendLine("  - name: production");
        yaml.AppendLine("    target:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"      provider: {Quote(options.TargetProvider)}");
        if (options.TargetParameters.Count > 0)
        {
            yaml.AppendLine("      parameters:");
            foreach (var (name, value) in options.TargetParameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                yaml.AppendLine(CultureInfo.InvariantCulture, $"        {Quote(name)}: {Quote(value)}");
            }
        }
        yaml.AppendLine("    strategy:");
        yaml.AppendLine("      canary:");
        yaml.AppendLine("        steps:");
        foreach (var weight in options.CanarySteps)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"          - {{ weight: {weight}, soak: {Duration(options.Soak)} }}");
        }

        yaml.AppendLine("    gate:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"      provider: {Quote(provider)}");
        yaml.AppendLine("      compare_to: baseline");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"      analysis: {{ interval: {Duration(options.AnalysisInterval)}, count: {options.AnalysisCount} }}");
        yaml.AppendLine("      objectives:");
        yaml.AppendLine("        - name: error_rate");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"          query: {Quote(options.ErrorRateQuery ?? "error_rate")}");
        yaml.AppendLine("          unit: ratio");
        yaml.AppendLine("          pass: \"< 1%\"");
        yaml.AppendLine("          critical: true");
        yaml.AppendLine("          must_have_data: true");
        yaml.AppendLine("        - name: latency_p99_ms");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"          query: {Quote(options.LatencyP99Query ?? "latency_p99_ms")}");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"          pass: \"< {options.LatencyP99LimitMs.ToString("0.###", CultureInfo.InvariantCulture)}\"");
        yaml.AppendLine("review:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  delay: {Duration(options.ReviewDelay)}");
        return yaml.ToString();
    }

    /// <summary>A duration in the policy's short form, e.g. <c>1h30m</c>, <c>2m</c>, <c>45s</c>.</summary>
    internal static string Duration(TimeSpan value) => PolicyValues.FormatDuration(value);

    // A double-quoted YAML scalar, so a provider name is never read as another type.
    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}
