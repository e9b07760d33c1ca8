using ReleaseFunctions.Composition;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Hosting.Settings;

namespace ReleaseFunctions.Policy;

/// <summary>
/// Whether the default policy from settings can run on this configuration: it must validate, and every deployment target
/// and SLI source it names must be one the app registers (<see cref="ReleaseIntegrations.ConfiguredTargets"/> and
/// <see cref="ReleaseIntegrations.ConfiguredSliSources"/>). Each problem names the setting that chose the provider and the
/// setting that would configure it.
/// </summary>
internal static class DefaultPolicyProviders
{
    public static IReadOnlyList<string> Problems(ReleaseFunctionsOptions settings, DefaultReleasePolicyOptions policy, IntegrationEndpointsOptions endpoints)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(endpoints);
        var problems = new List<string>();
        var sliSetting = policy.SliProvider is null ? SettingKeys.Of("Sli", "DefaultProvider") : SettingKeys.Of("DefaultPolicy", "SliProvider");
        var parsed = ReleasePolicyParser.Parse(DefaultReleasePolicy.Render(policy, DefaultReleasePolicy.SliSourceFor(settings.Sli.DefaultProvider)));
        if (!parsed.IsValid)
        {
            problems.AddRange(parsed.Problems.Select(p =>
                $"the default policy from the {SettingKeys.Of("DefaultPolicy", "*")} settings cannot run: {p.Path}: {p.Message} (target from {SettingKeys.Of("DefaultPolicy", "TargetProvider")}, SLI provider from {sliSetting}).")) ;
            return problems;
        }

        var targets = ReleaseIntegrations.ConfiguredTargets(endpoints, settings.Sandbox.Enabled);
        var sources = ReleaseIntegrations.ConfiguredSliSources(endpoints, settings.Sandbox.Enabled);
        foreach (var stage in parsed.Policy!.Stages)
        {
            if (!targets.Contains(stage.Target.Provider, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"{SettingKeys.Of("DefaultPolicy", "TargetProvider")} is '{stage.Target.Provider}', but deployment target '{stage.Target.Provider}' is not configured{HowToConfigure(stage.Target.Provider)}; "
                    + $"expected one of the configured targets: {string.Join(", ", targets)}.");
            }

            foreach (var provider in stage.Gate?.Objectives.Select(o => o.Provider).Distinct(StringComparer.OrdinalIgnoreCase) ?? [])
            {
                if (!sources.Contains(provider, StringComparer.OrdinalIgnoreCase))
                {
                    problems.Add($"{sliSetting} makes the default policy's gate read SLIs from '{provider}', but SLI source '{provider}' is not configured{HowToConfigure(provider)}; "
                        + $"expected one of the configured SLI sources: {string.Join(", ", sources)}.");
                }
            }
        }

        // The sandbox SLI names are no KQL (a PromQL recording rule may well be called error_rate, so Prometheus is left alone).
        if (string.Equals(parsed.Policy.Stages[0].Gate?.Objectives[0].Provider, "azure-monitor-logs", StringComparison.OrdinalIgnoreCase)
            && (policy.ErrorRateQuery is null || policy.LatencyP99Query is null))
        {
            problems.Add($"the default policy's gate runs KQL on azure-monitor-logs (from {sliSetting}), where the sandbox SLI names error_rate and latency_p99_ms are no queries; "
                + $"expected {SettingKeys.Of("DefaultPolicy", "ErrorRateQuery")} and {SettingKeys.Of("DefaultPolicy", "LatencyP99Query")} in KQL, each with a 'value' column.");
        }

        return problems;
    }

    private static string HowToConfigure(string provider) => provider.ToLowerInvariant() switch
    {
        "sandbox" => $" ({SettingKeys.Of("Sandbox", "Enabled")} is false)",
        "http-hook" => $" (set {SettingKeys.Of("HttpHook", "Url")} and {SettingKeys.Of("HttpHook", "Secret")})",
        "azure-monitor-logs" => $" (set {SettingKeys.Of("AzureMonitor", "WorkspaceId")} to the Log Analytics workspace id)",
        "prometheus" => $" (set {SettingKeys.Of("Prometheus", "BaseUrl")})",
        _ => "",
    };
}
