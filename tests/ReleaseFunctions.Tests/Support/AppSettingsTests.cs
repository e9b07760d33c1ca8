using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.GitHub;
using ReleaseFunctions.Ledger;
using ReleaseFunctions.Policy;
using ReleaseFunctions.Tests.Hosting;

namespace ReleaseFunctions.Tests.Support;

/// <summary>The app's own settings: read into their options, and refused at start with the key and what is expected.</summary>
public sealed class AppSettingsTests
{
    [Fact]
    public async Task Settings_reach_the_ledger_default_policy_approver_teams_and_service_names()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>
        {
            ["ReleaseFunctions:Store:LedgerPath"] = "ledger/releases.sqlite",
            ["ReleaseFunctions:DefaultPolicy:CanarySteps"] = "5, 25%, 100",
            ["ReleaseFunctions:DefaultPolicy:Soak"] = "90s",
            ["ReleaseFunctions:DefaultPolicy:LatencyP99LimitMs"] = "320",
            ["ReleaseFunctions:Sli:DefaultProvider"] = "prometheus",
            ["ReleaseFunctions:Approvers:Teams:0"] = "contoso/sre=alice, Mona",
            ["ReleaseFunctions:GitHub:Services"] = "octo/shop=shop-api; octo/web=storefront",
            ["ReleaseFunctions:Prometheus:BaseUrl"] = "http://prometheus.test:9090",
            ["ReleaseFunctions:HttpHook:Url"] = "https://deploy.test/hook",
            ["ReleaseFunctions:HttpHook:Secret"] = "0123456789abcdef0123",
        }, useSandbox: true);

        var ledger = app.Services.GetRequiredService<IOptions<ReleaseLedgerOptions>>().Value;
        var policy = await app.Services.GetRequiredService<IPolicySource>().ReadAsync(new ReleaseId("octo/shop", 1, new string('a', 40)), null, default);
        var teams = await app.Services.GetRequiredService<IApproverDirectory>().TeamsOfAsync("mona", ["contoso/sre"], null, default);
        var routing = app.Services.GetRequiredService<IOptions<WebhookRoutingOptions>>().Value;

        Assert.Equal(Path.Combine(app.ContentRoot, "ledger", "releases.sqlite"), ledger.Path);
        Assert.True(policy.IsDefault);
        Assert.Contains("{ weight: 25, soak: 1m30s }", policy.Yaml, StringComparison.Ordinal);
        Assert.Contains("provider: \"prometheus\"", policy.Yaml, StringComparison.Ordinal);
        Assert.Contains("pass: \"< 320\"", policy.Yaml, StringComparison.Ordinal);
        Assert.Equal(["contoso/sre"], teams);
        Assert.Equal("storefront", routing.ServiceOf("Octo/Web"));
        Assert.Equal("api", routing.ServiceOf("octo/api"));
        Assert.Equal(["azure-monitor-metrics", "prometheus", "sandbox"], app.Services.GetServices<ISliSource>().Select(s => s.Provider).Order());
        Assert.Equal(["app-configuration-flag", "app-service", "container-apps", "http-hook", "sandbox"], app.Services.GetServices<IDeploymentTarget>().Select(t => t.Provider).Order());
    }

    [Fact]
    public void Unreadable_settings_stop_the_app_naming_each_key_and_what_is_expected()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>
        {
            ["ReleaseFunctions:DefaultPolicy:CanarySteps"] = "50,10",
            ["ReleaseFunctions:DefaultPolicy:Soak"] = "two minutes",
            ["ReleaseFunctions:DefaultPolicy:LatencyP99LimitMs"] = "-5",
            ["ReleaseFunctions:Approvers:Teams:0"] = "sre=alice",
            ["ReleaseFunctions:GitHub:Services:0"] = "shop",
            ["ReleaseFunctions:Prometheus:BaseUrl"] = "prometheus:9090",
            ["ReleaseFunctions:AzureMonitor:WorkspaceId"] = "my-workspace",
            ["ReleaseFunctions:HttpHook:Url"] = "https://deploy.test/hook",
            ["ReleaseFunctions:HttpHook:Secret"] = "short",
            ["ReleaseFunctions:Audit:ChainKey"] = "thirty-one bytes of chain key..",
        });

        // What RunFunctionsHostAsync runs before the host starts; a failure there ends the process with these messages.
        var error = Assert.ThrowsAny<Exception>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());

        var messages = Messages(error);
        Assert.Contains("ReleaseFunctions__DefaultPolicy__CanarySteps is '50,10'; expected increasing traffic weights from 1 to 100 such as '10,50'.", messages);
        Assert.Contains(messages, m => m.StartsWith("ReleaseFunctions__DefaultPolicy__Soak is 'two minutes'; expected a duration such as '2m'", StringComparison.Ordinal));
        Assert.Contains("ReleaseFunctions__DefaultPolicy__LatencyP99LimitMs is '-5'; expected milliseconds above 0 such as '500'.", messages);
        Assert.Contains(messages, m => m.StartsWith("ReleaseFunctions__Approvers__Teams__0 is 'sre=alice'; expected a team written 'org/slug'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("ReleaseFunctions__GitHub__Services__0 is 'shop'; expected an entry such as 'octo/shop=shop-api'", StringComparison.Ordinal));
        Assert.Contains("ReleaseFunctions__Prometheus__BaseUrl is 'prometheus:9090'; expected an absolute http(s) URL such as 'http://prometheus:9090/'.", messages);
        Assert.Contains("ReleaseFunctions__AzureMonitor__WorkspaceId is 'my-workspace'; expected the Log Analytics workspace id, a GUID.", messages);
        Assert.Contains("ReleaseFunctions__HttpHook__Secret has 5 characters; expected a random secret of at least 16 to sign calls to https://deploy.test/hook.", messages);
        Assert.Contains("ReleaseFunctions__Audit__ChainKey has 31 byte(s); expected a random secret of at least 32 bytes (its UTF-8), e.g. the output of 'openssl rand -base64 48'.", messages);
        Assert.DoesNotContain(messages, m => m.Contains("thirty-one bytes", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("sandbox", "a-secret-of-at-least-sixteen", "true",
        "ReleaseFunctions__Migrations__Secret is set but ReleaseFunctions__Migrations__Url is 'sandbox', whose hook signs with its own secret; expected the secret empty, or the URL of your migration hook.")]
    [InlineData("Sandbox", null, "false",
        "ReleaseFunctions__Migrations__Url is 'sandbox' but ReleaseFunctions__Sandbox__Enabled is false; expected the URL of your migration hook, or the sandbox enabled.")]
    [InlineData("channel:sandbox", "a-secret-of-at-least-sixteen", "true",
        "ReleaseFunctions__Notifications__Channels__audit_hook__Secret is set but ReleaseFunctions__Notifications__Channels__audit_hook__Url is 'sandbox', whose inbox signs with its own secret; expected the secret empty, or the channel's webhook URL.")]
    [InlineData("channel:sandbox", null, "false",
        "ReleaseFunctions__Notifications__Channels__audit_hook__Url is 'sandbox' but ReleaseFunctions__Sandbox__Enabled is false; expected the channel's webhook URL, or the sandbox enabled.")]
    public void The_url_sandbox_needs_the_sandbox_and_no_secret(string url, string? secret, string sandboxEnabled, string expected)
    {
        var section = url.StartsWith("channel:", StringComparison.Ordinal) ? "Notifications:Channels:audit_hook" : "Migrations";
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>
        {
            [$"ReleaseFunctions:{section}:Url"] = url.Replace("channel:", "", StringComparison.Ordinal),
            [$"ReleaseFunctions:{section}:Secret"] = secret,
            ["ReleaseFunctions:Sandbox:Enabled"] = sandboxEnabled,
        });

        var error = Assert.ThrowsAny<Exception>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(expected, Messages(error));
    }

    [Theory]
    [InlineData("Provider=Blob", "ReleaseFunctions__Ledger__Provider is 'Blob'; expected Sqlite or Tables.")]
    [InlineData("Provider=Tables|TableServiceUri=myaccount.table.core.windows.net|Audit=0123456789abcdef0123456789abcdef",
        "ReleaseFunctions__Ledger__TableServiceUri is 'myaccount.table.core.windows.net'; expected the storage account's table endpoint, such as 'https://myaccount.table.core.windows.net/' (no SAS: the app's identity is used).")]
    [InlineData("Provider=tables|TableName=1st|TableConnectionString=UseDevelopmentStorage=true|Audit=0123456789abcdef0123456789abcdef",
        "ReleaseFunctions__Ledger__TableName is '1st'; expected 3 to 52 letters and digits starting with a letter, such as 'ReleaseLedger'.")]
    [InlineData("Provider=Tables|Audit=0123456789abcdef0123456789abcdef",
        "ReleaseFunctions__Ledger__Provider is Tables but no table service is named; expected ReleaseFunctions__Ledger__TableServiceUri (the storage account's table endpoint, reached with the managed identity), ReleaseFunctions__Ledger__TableConnectionString (Azurite: 'UseDevelopmentStorage=true'), or the function app's AzureWebJobsStorage.")]
    [InlineData("Provider=Tables|TableServiceUri=https://a.table.core.windows.net/|TableConnectionString=UseDevelopmentStorage=true|Audit=0123456789abcdef0123456789abcdef",
        "ReleaseFunctions__Ledger__TableServiceUri and ReleaseFunctions__Ledger__TableConnectionString are both set; expected one of them.")]
    [InlineData("Provider=Tables|TableConnectionString=AccountKey=secret-ish;NotAConnectionString|Audit=0123456789abcdef0123456789abcdef",
        "ReleaseFunctions__Ledger__TableConnectionString is not a storage connection string; expected 'UseDevelopmentStorage=true' or 'DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...;TableEndpoint=...'.")]
    [InlineData("Provider=Tables|TableServiceUri=https://a.table.core.windows.net/",
        "ReleaseFunctions__Audit__ChainKey is not set; the Tables ledger is shared by every instance, so its audit chain key must be too: expected a random secret of at least 32 bytes (on Azure a Key Vault reference), e.g. the output of 'openssl rand -base64 48'.")]
    public void Unreadable_ledger_settings_stop_the_app_naming_the_key_and_what_is_expected(string settings, string expected)
    {
        var values = settings.Split('|').Select(s => s.Split('=', 2)).ToDictionary(
            kv => kv[0] == "Audit" ? "ReleaseFunctions:Audit:ChainKey" : $"ReleaseFunctions:Ledger:{kv[0]}", kv => (string?)kv[1]);
        using var app = new ReleaseAppFactory(values);

        var error = Assert.ThrowsAny<Exception>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());

        var messages = Messages(error);
        Assert.Contains(expected, messages);
        Assert.DoesNotContain(messages, m => m.Contains("secret-ish", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("AzureWebJobsStorage:accountName", "relfnstore", "https://relfnstore.table.core.windows.net/", null)]
    [InlineData("AzureWebJobsStorage:tableServiceUri", "https://relfnstore.table.core.windows.net/", "https://relfnstore.table.core.windows.net/", null)]
    [InlineData("AzureWebJobsStorage", "UseDevelopmentStorage=true", null, "UseDevelopmentStorage=true")]
    [InlineData("ReleaseFunctions:Ledger:TableServiceUri", "https://ledger.table.core.windows.net/", "https://ledger.table.core.windows.net/", null)]
    public void The_tables_ledger_finds_its_table_service_in_its_settings_or_the_function_apps_storage(string key, string value, string? uri, string? connectionString)
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>
        {
            ["ReleaseFunctions:Ledger:Provider"] = "Tables",
            ["ReleaseFunctions:Audit:ChainKey"] = "0123456789abcdef0123456789abcdef",
            [key] = value,
        });

        var ledger = app.Services.GetRequiredService<IOptions<ReleaseLedgerOptions>>().Value;

        Assert.Equal(ReleaseLedgerProvider.Tables, ledger.Provider);
        Assert.Equal(uri, ledger.TableServiceUri?.ToString());
        Assert.Equal(connectionString, ledger.TableConnectionString);
        Assert.Equal(ReleaseLedgerOptions.DefaultTableName, ledger.TableName);
        Assert.IsType<ReleaseFunctions.Ledger.Tables.TableReleaseLedger>(app.Services.GetRequiredService<IReleaseLedger>());
    }

    [Fact]
    public void The_standalone_app_keeps_the_sqlite_ledger_unless_told_otherwise()
    {
        using var app = new ReleaseAppFactory();

        Assert.Equal(ReleaseLedgerProvider.Sqlite, app.Services.GetRequiredService<IOptions<ReleaseLedgerOptions>>().Value.Provider);
        Assert.IsType<SqliteReleaseLedger>(app.Services.GetRequiredService<IReleaseLedger>());
        Assert.IsType<SqliteWebhookDeliveryLog>(app.Services.GetRequiredService<ReleaseFunctions.Integrations.GitHub.Webhooks.IWebhookDeliveryLog>());
    }

    [Fact]
    public async Task The_logging_notifier_writes_each_update_with_a_fixed_event_id()
    {
        var records = new RecordingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(records).SetMinimumLevel(LogLevel.Trace));
        var notifier = new LoggingReleaseNotifier(loggers.CreateLogger<LoggingReleaseNotifier>());
        var id = new ReleaseId("octo/shop", 1, new string('a', 40));

        await notifier.PublishAsync(Update(id, ReleaseStatus.Running), "u1", default);
        await notifier.PublishAsync(Update(id, ReleaseStatus.RolledBack), "u2", default);
        await notifier.PublishAsync(Update(id, ReleaseStatus.Failed) with { Stage = null, Step = 0, WeightPercent = null }, "u3", default);
        await notifier.PublishAsync(Update(id, ReleaseStatus.RollbackFailed), "u4", default);

        var entries = records.Entries.ToArray();
        Assert.Equal([(7101, LogLevel.Information), (7102, LogLevel.Warning), (7102, LogLevel.Warning), (7103, LogLevel.Critical)], entries.Select(e => (e.EventId.Id, e.Level)));
        Assert.Contains("release-octo.shop-pr1-aaaaaaaaaaaa is RolledBack at stage production step 1/2 (10% of traffic on the candidate)", entries[1].Message, StringComparison.Ordinal);
        // A release that failed before its first stage says so, instead of printing empty stage and weight fields.
        Assert.Contains("is Failed before any stage (no traffic moved)", entries[2].Message, StringComparison.Ordinal);
        Assert.Contains("ROLLBACK FAILED for release release-octo.shop-pr1-aaaaaaaaaaaa at stage production step 1/2: last read 10% of traffic", entries[3].Message, StringComparison.Ordinal);
    }

    private static ReleaseStatusUpdate Update(ReleaseId id, ReleaseStatus status) => new(
        id, "shop", "aaaaaaaaaaaa", status, "production", 1, 2, 10, [], [], "summary", "next", DateTimeOffset.UnixEpoch, null);

    private static IReadOnlyList<string> Messages(Exception exception) => exception switch
    {
        OptionsValidationException validation => validation.Failures.ToList(),
        AggregateException aggregate => aggregate.InnerExceptions.SelectMany(Messages).ToList(),
        _ => exception.InnerException is { } inner ? Messages(inner) : [exception.Message],
    };
}
