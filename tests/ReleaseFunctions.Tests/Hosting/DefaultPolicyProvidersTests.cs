using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Composition;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Policy;

namespace ReleaseFunctions.Tests.Hosting;

/// <summary>The settings validator refuses a default policy that names a target or SLI provider this configuration does not have.</summary>
public sealed class DefaultPolicyProvidersTests
{
    private const string Site = "/subscriptions/00000000-0000-0000-0000-000000001111/resourceGroups/shop/providers/Microsoft.Web/sites/shop";

    /// <summary>Production settings, as infra/main.bicep writes them, without the default-policy part.</summary>
    private static Dictionary<string, string?> Production(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ReleaseFunctions:Sandbox:Enabled"] = "false",
            ["ReleaseFunctions:Sli:DefaultProvider"] = "azuremonitor",
            ["ReleaseFunctions:GitHub:Token"] = "ghp_token",
            ["ReleaseFunctions:GitHub:WebhookSecrets:0"] = "webhook-secret",
            ["ReleaseFunctions:Operator:ApiKeys:0"] = "0123456789abcdef0123",
        };
        foreach (var (key, value) in extra)
        {
            settings["ReleaseFunctions:" + key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        return settings;
    }

    private static IReadOnlyList<string> Failures(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var environment = new HostingEnvironment { ContentRootPath = Path.GetTempPath(), EnvironmentName = "Production" };
        var options = new ReleaseFunctionsOptions();
        new ReleaseFunctionsOptionsSetup(configuration).Configure(options);
        var policy = new DefaultReleasePolicyOptions();
        new AppSettingsSetup(configuration, environment).Configure(policy);
        var endpoints = AppSettingsSetup.ReadIntegrationEndpoints(configuration, environment);
        var result = new ReleaseFunctionsOptionsValidator(new HostStartupProblems(), Options.Create(policy), Options.Create(endpoints)).Validate(Options.DefaultName, options);
        return result.Succeeded ? [] : result.Failures!.ToList();
    }

    [Fact]
    public void With_the_sandbox_off_the_default_sandbox_target_and_an_unset_workspace_are_refused_naming_both_settings()
    {
        var failures = Failures(Production());

        Assert.Contains(failures, f => f.StartsWith("ReleaseFunctions__DefaultPolicy__TargetProvider is 'sandbox', but deployment target 'sandbox' is not configured (ReleaseFunctions__Sandbox__Enabled is false); expected one of the configured targets: app-service, container-apps", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ReleaseFunctions__Sli__DefaultProvider makes the default policy's gate read SLIs from 'azure-monitor-logs', but SLI source 'azure-monitor-logs' is not configured (set ReleaseFunctions__AzureMonitor__WorkspaceId", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ReleaseFunctions__DefaultPolicy__ErrorRateQuery", StringComparison.Ordinal));
    }

    [Fact]
    public void A_target_the_policy_parser_refuses_is_reported_with_what_it_needs() =>
        Assert.Contains(Failures(Production(("DefaultPolicy__TargetProvider", "app-service"))),
            f => f.Contains("stages[0].target.parameters: missing parameter resource_id", StringComparison.Ordinal) && f.Contains("ReleaseFunctions__DefaultPolicy__TargetProvider", StringComparison.Ordinal));

    [Fact]
    public void The_settings_infra_main_bicep_writes_pass()
    {
        var failures = Failures(Production(
            ("AzureMonitor__WorkspaceId", "3f2c4a1e-9b7d-4c2a-8e5f-1a2b3c4d5e6f"),
            ("DefaultPolicy__TargetProvider", "app-service"),
            ("DefaultPolicy__TargetParameters__resource_id", Site),
            ("DefaultPolicy__ErrorRateQuery", "requests | where cloud_RoleName == '{service}' | summarize value = todouble(countif(success == false)) / count() by bin(timestamp, 1m)"),
            ("DefaultPolicy__LatencyP99Query", "requests | where cloud_RoleName == '{service}' | summarize value = percentile(duration, 99) by bin(timestamp, 1m)")));

        Assert.Empty(failures);
    }

    [Fact]
    public void The_standalone_defaults_pass() => Assert.Empty(Failures([]));
}
