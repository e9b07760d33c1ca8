using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Hosting.Settings;

namespace ReleaseFunctions.Tests.Hosting;

public sealed class ReleaseFunctionsOptionsTests
{
    [Fact]
    public void Defaults_are_the_embedded_standalone_setup_and_valid()
    {
        var (options, result) = Validate([]);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal("sqlite", options.Store.Provider);
        Assert.Equal("data/releasefunctions.db", options.Store.SqlitePath);
        Assert.Equal("https://api.github.com", options.GitHub.ApiBaseUrl);
        Assert.Equal(["main"], options.GitHub.ReleaseBranches);
        Assert.Equal("sandbox", options.Sli.DefaultProvider);
        Assert.True(options.Sandbox.Enabled);
        Assert.Empty(options.Operator.ApiKeys);
    }

    [Theory]
    [InlineData("ReleaseFunctions:Store:Provider", "mysql", "ReleaseFunctions__Store__Provider is 'mysql'; expected 'sqlite' or 'postgres'.")]
    [InlineData("ReleaseFunctions:Store:LeaseDuration", "soon", "ReleaseFunctions__Store__LeaseDuration is 'soon'; expected a duration such as '1m'")]
    [InlineData("ReleaseFunctions:Store:LeaseDuration", "1s", "ReleaseFunctions__Store__LeaseDuration is 00:00:01; expected from 5 seconds to 1 hour such as '1m'.")]
    [InlineData("ReleaseFunctions:Sandbox:Enabled", "maybe", "ReleaseFunctions__Sandbox__Enabled is 'maybe'; expected 'true' or 'false'.")]
    [InlineData("ReleaseFunctions:GitHub:ApiBaseUrl", "api.github.com", "ReleaseFunctions__GitHub__ApiBaseUrl is 'api.github.com'; expected an absolute http(s) URL")]
    [InlineData("ReleaseFunctions:Sli:DefaultProvider", "datadog", "ReleaseFunctions__Sli__DefaultProvider is 'datadog'; expected one of 'sandbox', 'azuremonitor', 'prometheus'.")]
    [InlineData("ReleaseFunctions:GitHub:PrivateKey", "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----", "ReleaseFunctions__GitHub__AppId is missing; expected the GitHub App's numeric id")]
    public void An_invalid_setting_is_named_by_its_functions_key_with_what_is_expected(string key, string value, string message)
    {
        var (_, result) = Validate(new() { [key] = value });

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(message, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Postgres_needs_a_connection_string_with_a_host()
    {
        var missing = Validate(new() { ["ReleaseFunctions:Store:Provider"] = "Postgres" }).Result;
        var noHost = Validate(new() { ["ReleaseFunctions:Store:Provider"] = "postgres", ["ReleaseFunctions:Store:PostgresConnectionString"] = "Database=rf;Password=hunter2" }).Result;
        var valid = Validate(new() { ["ReleaseFunctions:Store:Provider"] = "postgres", ["ReleaseFunctions:Store:PostgresConnectionString"] = "Host=db;Database=rf" }).Result;

        Assert.StartsWith("ReleaseFunctions__Store__PostgresConnectionString is missing; expected an Npgsql connection string", Assert.Single(missing.Failures!), StringComparison.Ordinal);
        var noHostMessage = Assert.Single(noHost.Failures!);
        Assert.StartsWith("ReleaseFunctions__Store__PostgresConnectionString names no Host", noHostMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", noHostMessage, StringComparison.Ordinal);
        Assert.True(valid.Succeeded, valid.FailureMessage);
    }

    [Fact]
    public void A_github_app_needs_a_numeric_id_and_a_pem_key_and_not_also_a_token()
    {
        var (_, result) = Validate(new()
        {
            ["ReleaseFunctions:GitHub:AppId"] = "my-app",
            ["ReleaseFunctions:GitHub:PrivateKey"] = "not a key",
            ["ReleaseFunctions:GitHub:Token"] = "ghp_example",
        });

        Assert.Equal(
            [
                "ReleaseFunctions__GitHub__AppId is 'my-app'; expected the GitHub App's numeric id.",
                "ReleaseFunctions__GitHub__PrivateKey is not a PEM private key; expected text from '-----BEGIN RSA PRIVATE KEY-----' to its END line.",
                "ReleaseFunctions__GitHub__Token and ReleaseFunctions__GitHub__AppId are both set; expected one way to authenticate to GitHub, not both.",
            ],
            result.Failures);
    }

    [Fact]
    public void Without_the_sandbox_the_production_settings_are_required()
    {
        var (_, result) = Validate(new() { ["ReleaseFunctions:Sandbox:Enabled"] = "false" });

        var failures = result.Failures!.ToList();
        Assert.Equal(4, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("ReleaseFunctions__GitHub__Token or ReleaseFunctions__GitHub__AppId with ReleaseFunctions__GitHub__PrivateKey is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ReleaseFunctions__GitHub__WebhookSecrets is empty", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ReleaseFunctions__Sli__DefaultProvider is 'sandbox' but ReleaseFunctions__Sandbox__Enabled is false", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ReleaseFunctions__Operator__ApiKeys is empty", StringComparison.Ordinal));
    }

    [Fact]
    public void A_complete_production_setup_is_valid()
    {
        var (options, result) = Validate(new()
        {
            ["ReleaseFunctions:Sandbox:Enabled"] = "False",
            ["ReleaseFunctions:GitHub:Token"] = "ghp_example",
            ["ReleaseFunctions:GitHub:WebhookSecrets"] = "old-secret,new-secret",
            ["ReleaseFunctions:Sli:DefaultProvider"] = "azuremonitor",
            ["ReleaseFunctions:Operator:ApiKeys:0"] = "0123456789abcdef0123",
        });

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.False(options.Sandbox.Enabled);
        Assert.Equal(["old-secret", "new-secret"], options.GitHub.WebhookSecrets);
    }

    [Fact]
    public void Lists_take_indexed_keys_in_index_order_or_one_comma_separated_value()
    {
        var indexed = Validate(new()
        {
            ["ReleaseFunctions:GitHub:ReleaseBranches:10"] = "hotfix",
            ["ReleaseFunctions:GitHub:ReleaseBranches:2"] = "release",
            ["ReleaseFunctions:GitHub:ReleaseBranches:0"] = "main",
        }).Options;
        var commaSeparated = Validate(new() { ["ReleaseFunctions:GitHub:ReleaseBranches"] = "main, release/2026 " }).Options;

        Assert.Equal(["main", "release", "hotfix"], indexed.GitHub.ReleaseBranches);
        Assert.Equal(["main", "release/2026"], commaSeparated.GitHub.ReleaseBranches);
    }

    [Fact]
    public void Bad_list_entries_are_named_by_position_and_keys_are_never_echoed()
    {
        var (_, result) = Validate(new()
        {
            ["ReleaseFunctions:GitHub:ReleaseBranches"] = "main,,next",
            ["ReleaseFunctions:Operator:ApiKeys:0"] = "0123456789abcdef0123",
            ["ReleaseFunctions:Operator:ApiKeys:1"] = "short-key",
            ["ReleaseFunctions:GitHub:WebhookSecrets:first"] = "x",
        });

        var failures = result.Failures!.ToList();
        Assert.Contains("ReleaseFunctions__GitHub__WebhookSecrets__first is not a list entry; expected indexed keys ReleaseFunctions__GitHub__WebhookSecrets__0, ReleaseFunctions__GitHub__WebhookSecrets__1, ... or one comma-separated ReleaseFunctions__GitHub__WebhookSecrets.", failures);
        Assert.Contains("ReleaseFunctions__GitHub__ReleaseBranches__1 is empty; expected a branch name such as 'main'.", failures);
        Assert.Contains("ReleaseFunctions__Operator__ApiKeys__1 has a key of 9 characters; expected a random key of at least 16 (e.g. from 'openssl rand -hex 32'), as KEY, name:KEY or name:roles:KEY.", failures);
        Assert.DoesNotContain(failures, f => f.Contains("short-key", StringComparison.Ordinal));
        Assert.Equal(3, failures.Count);
    }

    [Fact]
    public void Sign_in_settings_are_read_and_each_bad_one_is_named()
    {
        var (good, ok) = Validate(new()
        {
            ["ReleaseFunctions:Operator:ApiKeys"] = "reader:release.read:0123456789abcdef0123,ci:Release.Operate+Release.Approve:fedcba9876543210fedc",
            ["ReleaseFunctions:Operator:TrustAppServiceAuthentication"] = "true",
            ["WEBSITE_AUTH_ENABLED"] = "True",
            ["ReleaseFunctions:Operator:Jwt:Authority"] = "https://login.microsoftonline.com/5f7b5f7a-0000-4000-8000-000000000001/v2.0",
            ["ReleaseFunctions:Operator:Jwt:Audience"] = "api://releases, 6a1c2d3e-0000-4000-8000-000000000002",
            ["ReleaseFunctions:Operator:GitHubLogins:0"] = "alice@contoso.com=alice-gh",
        });
        var (_, bad) = Validate(new()
        {
            ["ReleaseFunctions:Operator:ApiKeys:0"] = "ops:Release.Deploy:0123456789abcdef0123",
            ["ReleaseFunctions:Operator:TrustAppServiceAuthentication"] = "true",
            ["ReleaseFunctions:Operator:Jwt:Authority"] = "http://login.example.com/tenant",
            ["ReleaseFunctions:Operator:GitHubLogins"] = "alice@contoso.com,bob@contoso.com=-bob",
        });

        Assert.True(ok.Succeeded, string.Join(" | ", ok.Failures ?? []));
        Assert.True(good.Operator.TrustsAppServicePrincipal);
        Assert.Equal(["api://releases", "6a1c2d3e-0000-4000-8000-000000000002"], good.Operator.Jwt.Audiences);
        var failures = bad.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("ReleaseFunctions__Operator__ApiKeys__0 names the role 'Release.Deploy'; expected roles joined by '+' from Release.Read, Release.Operate, Release.Approve, Release.Admin", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ReleaseFunctions__Operator__TrustAppServiceAuthentication is true but App Service Authentication is not running in front of this app (WEBSITE_AUTH_ENABLED is not 'True')", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ReleaseFunctions__Operator__Jwt__Authority is 'http://login.example.com/tenant'; expected the issuer's https address", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ReleaseFunctions__Operator__Jwt__Audience is empty", StringComparison.Ordinal));
        Assert.Contains("ReleaseFunctions__Operator__GitHubLogins__0 is 'alice@contoso.com'; expected person=login, e.g. 'alice@contoso.com=alice-gh'.", failures);
        Assert.Contains("ReleaseFunctions__Operator__GitHubLogins__1 maps 'bob@contoso.com' to '-bob', which is not a GitHub login (letters, digits and single hyphens, at most 39).", failures);
        Assert.DoesNotContain(failures, f => f.Contains("0123456789abcdef0123", StringComparison.Ordinal));
    }

    private static (ReleaseFunctionsOptions Options, ValidateOptionsResult Result) Validate(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = new ReleaseFunctionsOptions();
        new ReleaseFunctionsOptionsSetup(configuration).Configure(options);
        var result = new ReleaseFunctionsOptionsValidator(new HostStartupProblems()).Validate(Options.DefaultName, options);
        return (options, result);
    }
}
