using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Core.Policy;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Hosting;

public sealed class LocalSettingsTests
{
    [Fact]
    public void Values_from_local_settings_json_reach_the_options_with_either_nesting_separator()
    {
        using var app = new FunctionsAppFactory(localSettingsJson: """
            {
              "IsEncrypted": false,
              "Values": {
                "FUNCTIONS_WORKER_RUNTIME": "custom",
                "ReleaseFunctions__Store__Provider": "postgres",
                "ReleaseFunctions:Store:PostgresConnectionString": "Host=db;Database=releasefunctions",
                "ReleaseFunctions__GitHub__ReleaseBranches__0": "main",
                "ReleaseFunctions__GitHub__ReleaseBranches__1": "release",
                "ReleaseFunctions__Sandbox__Enabled": true
              },
              "ConnectionStrings": { "Audit": "Data Source=audit.db" }
            }
            """);

        var options = app.Services.GetRequiredService<IOptions<ReleaseFunctionsOptions>>().Value;
        var configuration = app.Services.GetRequiredService<IConfiguration>();

        Assert.Equal("postgres", options.Store.Provider);
        Assert.Equal("Host=db;Database=releasefunctions", options.Store.PostgresConnectionString);
        Assert.Equal(["main", "release"], options.GitHub.ReleaseBranches);
        Assert.True(options.Sandbox.Enabled);
        Assert.Equal("custom", configuration["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("Data Source=audit.db", configuration.GetConnectionString("Audit"));
    }

    [Fact]
    public void Environment_variables_override_local_settings_json()
    {
        // A name no other test uses, since environment variables are shared by the whole test process.
        var name = $"HostingTest{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable($"{name}__Source", "environment");
        try
        {
            using var app = new FunctionsAppFactory(localSettingsJson: $$"""
                { "Values": { "{{name}}__Source": "local.settings.json", "{{name}}__OnlyLocal": "local" } }
                """);

            var configuration = app.Services.GetRequiredService<IConfiguration>();

            Assert.Equal("environment", configuration[$"{name}:Source"]);
            Assert.Equal("local", configuration[$"{name}:OnlyLocal"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable($"{name}__Source", null);
        }
    }

    [Fact]
    public void A_broken_local_settings_file_fails_the_start_up_validation_with_the_reason()
    {
        using var app = new FunctionsAppFactory(localSettingsJson: """{ "Values": { "ReleaseFunctions__Store": { "Provider": "sqlite" } } }""");
        var options = app.Services.GetRequiredService<IOptions<ReleaseFunctionsOptions>>();

        var error = Assert.Throws<OptionsValidationException>(() => options.Value);

        var failure = Assert.Single(error.Failures);
        Assert.EndsWith("local.settings.json: \"Values\".\"ReleaseFunctions__Store\" is a JSON Object; expected a string (settings are flat; nest with '__' in the name).", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"Values\": ", "is not valid JSON")]
    [InlineData("[]", "holds a JSON Array; expected an object with a \"Values\" object.")]
    [InlineData("{ \"IsEncrypted\": true, \"Values\": {} }", "has \"IsEncrypted\": true; expected plain values")]
    [InlineData("{ \"Values\": [\"a\"] }", "\"Values\" is a JSON Array; expected an object of \"NAME\": \"value\" pairs.")]
    public void Unusable_files_are_reported_not_thrown(string content, string problem)
    {
        var directory = Directory.CreateTempSubdirectory("releasefunctions-localsettings-");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, LocalSettingsFile.FileName), content);

            var file = LocalSettingsFile.Load(directory.FullName);

            Assert.Contains(problem, Assert.Single(file.Problems), StringComparison.Ordinal);
            Assert.Empty(file.Values);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Without_a_file_in_the_content_root_the_functions_app_root_is_used()
    {
        var appRoot = Directory.CreateTempSubdirectory("releasefunctions-approot-");
        try
        {
            var contentRoot = Directory.CreateDirectory(Path.Combine(appRoot.FullName, "src", "ReleaseFunctions"));
            File.WriteAllText(Path.Combine(appRoot.FullName, "host.json"), "{}");
            File.WriteAllText(Path.Combine(appRoot.FullName, LocalSettingsFile.FileName), """{ "Values": { "A__B": "c" } }""");

            var file = LocalSettingsFile.Load(contentRoot.FullName);

            Assert.Equal(Path.Combine(appRoot.FullName, LocalSettingsFile.FileName), file.Path);
            Assert.Equal("c", file.Values["A:B"]);
        }
        finally
        {
            appRoot.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_sample_lists_every_setting_and_is_valid()
    {
        var repositoryRoot = FindRepositoryRoot();

        var sampleFile = LocalSettingsFile.Load(CopyAsLocalSettings(Path.Combine(repositoryRoot, "local.settings.sample.json")));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(sampleFile.Values).Build();
        var options = new ReleaseFunctionsOptions();
        new ReleaseFunctionsOptionsSetup(configuration).Configure(options);
        var result = new ReleaseFunctionsOptionsValidator(new HostStartupProblems()).Validate(null, options);

        Assert.Empty(sampleFile.Problems);
        Assert.True(result.Succeeded, result.FailureMessage);
        string[] everySetting =
        [
            "Store:Provider", "Store:SqlitePath", "Store:PostgresConnectionString", "Store:LeaseDuration",
            "GitHub:WebhookSecrets:0", "GitHub:AppId", "GitHub:PrivateKey", "GitHub:Token", "GitHub:ApiBaseUrl", "GitHub:ReleaseBranches:0",
            "Sli:DefaultProvider", "Operator:ApiKeys:0", "Sandbox:Enabled", "Audit:ChainKey", "Policies:Folder",
            "Ledger:Provider", "Ledger:TableServiceUri", "Ledger:TableConnectionString", "Ledger:TableName",
        ];
        Assert.All(everySetting, setting => Assert.True(sampleFile.Values.ContainsKey($"ReleaseFunctions:{setting}"), $"local.settings.sample.json lacks ReleaseFunctions__{setting.Replace(":", "__", StringComparison.Ordinal)}"));
    }

    [Fact]
    public void The_sample_settings_pass_every_start_up_check_and_every_shipped_policy_is_valid()
    {
        var repositoryRoot = FindRepositoryRoot();
        var sample = LocalSettingsFile.Load(CopyAsLocalSettings(Path.Combine(repositoryRoot, "local.settings.sample.json")));
        // The ledger and store paths are the factory's own, in its temporary content root.
        using var app = new ReleaseAppFactory(sample.Values.Where(v => !v.Key.StartsWith("ReleaseFunctions:Store:", StringComparison.Ordinal)).ToDictionary(), useSandbox: true);

        app.Services.GetRequiredService<IStartupValidator>().Validate();

        var policies = Directory.GetFiles(Path.Combine(repositoryRoot, "src", "ReleaseFunctions", "policies"), "*.yml", SearchOption.AllDirectories);
        Assert.Contains(policies, p => p.EndsWith(Path.Combine("contoso", "orders-api.yml"), StringComparison.Ordinal));
        Assert.All(policies, path =>
        {
            var parsed = ReleasePolicyParser.Parse(File.ReadAllText(path));
            Assert.True(parsed.IsValid, $"{path}: {parsed.Describe()}");
        });
    }

    private static string CopyAsLocalSettings(string samplePath)
    {
        var directory = Directory.CreateTempSubdirectory("releasefunctions-sample-").FullName;
        File.Copy(samplePath, Path.Combine(directory, LocalSettingsFile.FileName));
        return directory;
    }

    internal static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ReleaseFunctions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No ReleaseFunctions.sln above {AppContext.BaseDirectory}.");
    }
}
