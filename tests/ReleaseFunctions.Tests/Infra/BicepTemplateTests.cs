using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ReleaseFunctions.Tests.Infra;

/// <summary>
/// Compiles infra/main.bicep with the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64, a PackageDownload of
/// this project, so it is in the packages folder whenever the tests restore) and checks the ARM template for what a
/// platform team relies on. A missing CLI fails the tests; it never skips them.
/// </summary>
public sealed class BicepTemplateTests(BicepTemplateTests.Template template) : IClassFixture<BicepTemplateTests.Template>
{
    const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
    const string MonitoringReader = "43d0d8ad-25c7-4714-9337-8ba259a9fe05";
    const string LogAnalyticsReader = "73c42c96-874c-492b-b04d-ab87d138a893";
    const string WebsiteContributor = "de139f84-1756-47ae-9be6-808fbbe84772";
    const string ContainerAppsContributor = "358470bc-b998-42bd-ab17-a7e34c199c0f";

    [Fact]
    public void Function_app_is_a_linux_function_app_on_an_elastic_premium_linux_plan()
    {
        var app = template.Single("Microsoft.Web/sites");
        var kind = (string)app["kind"]!;
        Assert.Contains("functionapp", kind.Split(','));
        Assert.Contains("linux", kind.Split(','));

        var plan = template.Single("Microsoft.Web/serverfarms");
        Assert.Equal("EP1", (string)plan["sku"]!["name"]!);
        Assert.Equal("ElasticPremium", (string)plan["sku"]!["tier"]!);
        Assert.True((bool)plan["properties"]!["reserved"]!, "the plan must be Linux (reserved: true)");
        Assert.Contains("Microsoft.Web/serverfarms", (string)app["properties"]!["serverFarmId"]!);
    }

    [Fact]
    public void Function_app_runtime_is_the_one_the_app_is_published_for()
    {
        var settings = template.AppSettings();
        Assert.Equal("~4", settings["FUNCTIONS_EXTENSION_VERSION"]);
        var linuxFxVersion = (string?)template.Single("Microsoft.Web/sites")["properties"]!["siteConfig"]!["linuxFxVersion"] ?? "";

        // The README deploys what `dotnet publish src/ReleaseFunctions` writes: the .NET isolated worker (the app
        // references Microsoft.Azure.Functions.Worker; host.json has no custom handler).
        var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(Template.RepoRoot, "host.json")))!;
        var csproj = File.ReadAllText(Path.Combine(Template.RepoRoot, "src", "ReleaseFunctions", "ReleaseFunctions.csproj"));
        Assert.Contains("\"Microsoft.Azure.Functions.Worker\"", csproj, StringComparison.Ordinal);
        Assert.Null(hostJson["customHandler"]);
        Assert.Equal("dotnet-isolated", settings["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("DOTNET-ISOLATED|10.0", linuxFxVersion);
        var siteConfig = template.Single("Microsoft.Web/sites")["properties"]!["siteConfig"]!;
        Assert.True((bool)siteConfig["functionsRuntimeScaleMonitoringEnabled"]!, "the Durable backend's load must reach the scale controller");
        Assert.True((int)siteConfig["minimumElasticInstanceCount"]! >= 1, "one instance is always warm");
    }

    [Fact]
    public void Function_app_is_https_only_with_tls_1_2_or_later_and_ftp_off()
    {
        var properties = template.Single("Microsoft.Web/sites")["properties"]!;
        Assert.True((bool)properties["httpsOnly"]!);
        var siteConfig = properties["siteConfig"]!;
        Assert.True(Version.Parse((string)siteConfig["minTlsVersion"]!) >= new Version(1, 2), "minTlsVersion must be 1.2 or later");
        // Disabled rather than FtpsOnly: nothing here publishes over FTP(S); the README zip-deploys over SCM.
        Assert.Equal("Disabled", (string)siteConfig["ftpsState"]!);
        var ftp = template.Single("Microsoft.Web/sites/basicPublishingCredentialsPolicies");
        Assert.EndsWith("'ftp')]", (string)ftp["name"]!);
        Assert.False((bool)ftp["properties"]!["allow"]!);

        var storage = template.Single("Microsoft.Storage/storageAccounts")["properties"]!;
        Assert.Equal("TLS1_2", (string)storage["minimumTlsVersion"]!);
        Assert.False((bool)storage["allowBlobPublicAccess"]!);
    }

    [Fact]
    public void Function_app_runs_as_the_user_assigned_identity_and_reaches_storage_and_the_vault_with_it()
    {
        var app = template.Single("Microsoft.Web/sites");
        var identity = app["identity"]!;
        Assert.Equal("UserAssigned", (string)identity["type"]!);
        var identityId = Assert.Single(identity["userAssignedIdentities"]!.AsObject()).Key;
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", identityId);
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", (string)app["properties"]!["keyVaultReferenceIdentity"]!);

        var settings = template.AppSettings();
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", settings["AzureWebJobsStorage__clientId"]);
        Assert.False(settings.ContainsKey("AzureWebJobsStorage"), "no storage connection string: the host uses the identity");
        Assert.DoesNotContain("listKeys(", template.Text);
    }

    [Fact]
    public void Identity_holds_the_storage_data_roles_the_vault_role_and_log_analytics_reader_on_its_own_resources()
    {
        var assignments = template.RoleAssignments(template.Root);
        var storageScope = template.ScopeOf("Microsoft.Storage/storageAccounts");
        Assert.Equal(
            new[] { StorageBlobDataOwner, StorageQueueDataContributor, StorageTableDataContributor }.Order(),
            assignments.Where(a => a.Scope == storageScope).Select(a => a.Role).Order());
        Assert.Contains(assignments, a => a.Scope == template.ScopeOf("Microsoft.KeyVault/vaults") && a.Role == KeyVaultSecretsUser);
        Assert.Contains(assignments, a => a.Scope == template.ScopeOf("Microsoft.OperationalInsights/workspaces") && a.Role == LogAnalyticsReader);
        foreach (var a in assignments)
            Assert.Equal("ServicePrincipal", a.PrincipalType);
    }

    [Fact]
    public void Contributor_and_reader_roles_are_granted_on_the_listed_targets_and_sli_workspaces_only()
    {
        // No assignment at resource-group (or wider) scope anywhere: every one names the resource it is on.
        var module = template.Single("Microsoft.Resources/deployments");
        var moduleTemplate = module["properties"]!["template"]!;
        var top = template.RoleAssignments(template.Root);
        var targets = template.RoleAssignments(moduleTemplate);
        foreach (var a in top.Concat(targets))
            Assert.False(string.IsNullOrEmpty(a.Scope), $"role {a.Role} is assigned without a resource scope");
        Assert.DoesNotContain(top, a => a.Role is WebsiteContributor or ContainerAppsContributor or MonitoringReader);

        // The module's assignments: one per listed id, on that id's resource.
        Assert.Equal(
            new[] { (WebsiteContributor, "appServiceSiteIds"), (MonitoringReader, "appServiceSiteIds"),
                    (ContainerAppsContributor, "containerAppIds"), (MonitoringReader, "containerAppIds"),
                    (LogAnalyticsReader, "sliWorkspaceIds") }.Order(),
            targets.Select(a => (a.Role, a.LoopOver!)).Order());
        foreach (var a in targets)
            Assert.Contains($"parameters('{a.LoopOver}')[copyIndex()]", a.Scope);

        var parameters = module["properties"]!["parameters"]!;
        foreach (var list in new[] { "appServiceSiteIds", "containerAppIds", "sliWorkspaceIds" })
            Assert.Equal($"[parameters('{list}')]", (string)parameters[list]!["value"]!);
    }

    [Fact]
    public void The_release_ledger_is_in_the_function_apps_storage_account_reached_with_the_identity()
    {
        var settings = template.AppSettings();

        Assert.Equal("Tables", settings["ReleaseFunctions__Ledger__Provider"]);
        Assert.Contains("primaryEndpoints.table", settings["ReleaseFunctions__Ledger__TableServiceUri"], StringComparison.Ordinal);
        Assert.False(settings.ContainsKey("ReleaseFunctions__Ledger__TableConnectionString"), "no connection string: the ledger uses the identity");
    }

    [Fact]
    public void Secrets_in_app_settings_are_key_vault_references_never_values()
    {
        var settings = template.AppSettings();
        var secretLike = new Regex("Secret|PrivateKey|Token|ApiKey|Password|ConnectionString|ChainKey", RegexOptions.IgnoreCase);
        // Application Insights' connection string is an ingestion endpoint and key, not a credential (Microsoft's guidance).
        var secrets = settings.Where(s => secretLike.IsMatch(s.Key) && s.Key != "APPLICATIONINSIGHTS_CONNECTION_STRING").ToList();
        Assert.Contains(secrets, s => s.Key == "ReleaseFunctions__GitHub__WebhookSecrets__0");
        Assert.Contains(secrets, s => s.Key == "ReleaseFunctions__Store__PostgresConnectionString");
        Assert.Contains(secrets, s => s.Key == "ReleaseFunctions__Audit__ChainKey");
        foreach (var (name, value) in secrets)
        {
            Assert.True(value.Contains("@Microsoft.KeyVault(SecretUri=", StringComparison.Ordinal), $"{name} must be a Key Vault reference, is {value}");
            Assert.DoesNotContain("postgresAdminPassword", value);
        }
        // The secure parameter reaches the vault's secret and the server, and no app setting.
        foreach (var (name, value) in settings)
            Assert.False(value.Contains("postgresAdminPassword", StringComparison.Ordinal), $"{name} carries the database password");
        Assert.Equal("securestring", (string)template.Root["parameters"]!["postgresAdminPassword"]!["type"]!);
        foreach (var output in template.Root["outputs"]!.AsObject())
            Assert.DoesNotContain("postgresAdminPassword", output.Value!.ToJsonString());
    }

    [Fact]
    public void Database_is_reachable_only_through_a_firewall_rule()
    {
        var server = template.Single("Microsoft.DBforPostgreSQL/flexibleServers");
        var rules = template.Resources("Microsoft.DBforPostgreSQL/flexibleServers/firewallRules");
        var network = server["properties"]!["network"];
        Assert.True(rules.Count > 0 || network?["delegatedSubnetResourceId"] is not null, "a PostgreSQL server needs a firewall rule or private access");
        foreach (var rule in rules)
        {
            Assert.Equal((string?)server["condition"], (string?)rule["condition"]);
            var (start, end) = ((string)rule["properties"]!["startIpAddress"]!, (string)rule["properties"]!["endIpAddress"]!);
            Assert.False(start == "0.0.0.0" && end == "255.255.255.255", "a rule open to every address is no firewall");
        }
        Assert.Equal("Require", Regex.Match(template.Single("Microsoft.KeyVault/vaults/secrets")["properties"]!["value"]!.ToString(), "SSL Mode=(\\w+)").Groups[1].Value);
    }

    [Fact]
    public void Diagnostic_settings_send_the_app_vault_and_database_logs_to_log_analytics()
    {
        var diagnostics = template.Resources("Microsoft.Insights/diagnosticSettings");
        foreach (var type in new[] { "Microsoft.Web/sites", "Microsoft.KeyVault/vaults", "Microsoft.DBforPostgreSQL/flexibleServers" })
        {
            var scope = template.ScopeOf(type);
            var setting = Assert.Single(diagnostics, d => (string?)d["scope"] == scope);
            Assert.Equal(template.ScopeOf("Microsoft.OperationalInsights/workspaces"), (string)setting["properties"]!["workspaceId"]!);
            var logs = setting["properties"]!["logs"]!.AsArray();
            Assert.NotEmpty(logs);
            Assert.All(logs, l => Assert.True((bool)l!["enabled"]!));
        }
        var insights = template.Single("Microsoft.Insights/components");
        Assert.Equal(template.ScopeOf("Microsoft.OperationalInsights/workspaces"), (string)insights["properties"]!["WorkspaceResourceId"]!);
    }

    [Fact]
    public void Sample_parameter_file_builds_against_the_template()
    {
        var (exit, stdout, stderr) = Template.Run("build-params", "infra/main.bicepparam", "--stdout");
        Assert.True(exit == 0, $"bicep build-params failed: {stderr}");
        Assert.DoesNotMatch(": (Warning|Error) ", stderr);
        var parameters = JsonNode.Parse((string)JsonNode.Parse(stdout)!["parametersJson"]!)!["parameters"]!;
        Assert.Equal("relfn", (string)parameters["name"]!["value"]!);
        Assert.NotEmpty(parameters["appServiceSiteIds"]!["value"]!.AsArray());
    }

    const string EntraOn = "[not(empty(parameters('entraClientId')))]";
    static readonly string[] EntraSettingNames =
    [
        "ReleaseFunctions__Operator__Jwt__Audience",
        "ReleaseFunctions__Operator__Jwt__Authority",
        "ReleaseFunctions__Operator__TrustAppServiceAuthentication",
    ];

    [Fact]
    public void Entra_sign_in_is_off_by_default_and_its_settings_are_added_only_with_a_client_id()
    {
        Assert.Equal("", (string)template.Root["parameters"]!["entraClientId"]!["defaultValue"]!);
        Assert.Equal("[tenant().tenantId]", (string)template.Root["parameters"]!["entraTenantId"]!["defaultValue"]!);
        Assert.Equal(EntraOn, (string?)template.Single("Microsoft.Web/sites/config")["condition"]);

        // None among the settings always deployed; a list, empty without a client id, concatenated to them.
        Assert.DoesNotContain(template.AppSettings().Keys, EntraSettingNames.Contains);
        var appSettings = (string)template.Single("Microsoft.Web/sites")["properties"]!["siteConfig"]!["appSettings"]!;
        Assert.EndsWith(", variables('entraSettings'))]", appSettings);
        var entra = (string)template.Root["variables"]!["entraSettings"]!;
        Assert.StartsWith("[if(empty(parameters('entraClientId')), createArray(), createArray(createObject(", entra);
        var settings = Template.Settings(entra);
        Assert.Equal(EntraSettingNames, settings.Keys.Order());
        Assert.Equal("true", settings["ReleaseFunctions__Operator__TrustAppServiceAuthentication"]);
        Assert.Equal("variables('entraIssuer')", settings["ReleaseFunctions__Operator__Jwt__Authority"]);
        Assert.Equal("parameters('entraClientId')", settings["ReleaseFunctions__Operator__Jwt__Audience"]);
    }

    [Fact]
    public void App_service_authentication_lets_anonymous_requests_through_to_the_app_and_has_no_client_secret()
    {
        var auth = template.Single("Microsoft.Web/sites/config");
        Assert.EndsWith("'authsettingsV2')]", (string)auth["name"]!);
        var properties = auth["properties"]!;
        Assert.True((bool)properties["platform"]!["enabled"]!);
        var global = properties["globalValidation"]!;
        Assert.False((bool)global["requireAuthentication"]!, "the app decides: webhooks, probes and API keys must pass");
        Assert.Equal("AllowAnonymous", (string)global["unauthenticatedClientAction"]!);
        Assert.Contains("/api/github/webhook", global["excludedPaths"]!.AsArray().Select(p => (string)p!));

        var aad = properties["identityProviders"]!["azureActiveDirectory"]!;
        Assert.True((bool)aad["enabled"]!);
        Assert.Equal("[variables('entraIssuer')]", (string)aad["registration"]!["openIdIssuer"]!);
        Assert.Equal("[format('{0}{1}/v2.0', environment().authentication.loginEndpoint, parameters('entraTenantId'))]", (string)template.Root["variables"]!["entraIssuer"]!);
        Assert.Equal("[parameters('entraClientId')]", (string)aad["registration"]!["clientId"]!);
        Assert.Equal(
            new[] { "[format('api://{0}', parameters('entraClientId'))]", "[parameters('entraClientId')]" }.Order(),
            aad["validation"]!["allowedAudiences"]!.AsArray().Select(a => (string)a!).Order());
        Assert.DoesNotContain("clientSecret", auth.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.False((bool)properties["login"]!["tokenStore"]!["enabled"]!);
    }

    [Fact]
    public void Entra_app_roles_are_the_four_the_app_checks_with_unique_fixed_ids_for_people_and_automation()
    {
        var roles = JsonNode.Parse(File.ReadAllText(Path.Combine(Template.RepoRoot, "infra", "entra-app-roles.json")))!.AsArray();
        Assert.Equal(
            ReleaseFunctions.Api.Access.ReleaseRoles.All.Order(),
            roles.Select(r => (string)r!["value"]!).Order());
        var ids = roles.Select(r => Guid.Parse((string)r!["id"]!)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.DoesNotContain(Guid.Empty, ids);
        foreach (var role in roles)
        {
            Assert.Equal(new[] { "Application", "User" }, role!["allowedMemberTypes"]!.AsArray().Select(t => (string)t!).Order());
            Assert.True((bool)role["isEnabled"]!);
            Assert.False(string.IsNullOrWhiteSpace((string?)role["displayName"]) || string.IsNullOrWhiteSpace((string?)role["description"]));
        }
    }

    public sealed record RoleAssignment(string Scope, string Role, string? PrincipalType, string? LoopOver);

    /// <summary>infra/main.bicep compiled once for the class.</summary>
    public sealed class Template
    {
        public static readonly string RepoRoot = FindRepoRoot();
        public JsonObject Root { get; }
        public string Text { get; }

        public Template()
        {
            var (exit, stdout, stderr) = Run("build", "infra/main.bicep", "--stdout");
            Assert.True(exit == 0, $"bicep build infra/main.bicep failed ({exit}):\n{stderr}");
            Assert.DoesNotMatch(": (Warning|Error) ", stderr);
            Text = stdout;
            Root = JsonNode.Parse(stdout)!.AsObject();
        }

        public List<JsonNode> Resources(string type, JsonNode? template = null) =>
            (template ?? Root)["resources"]!.AsArray().Where(r => (string?)r!["type"] == type).Select(r => r!).ToList();

        public JsonNode Single(string type) => Assert.Single(Resources(type));

        /// <summary>The expression a role assignment or diagnostic setting on the (single) resource of this type uses as scope.</summary>
        public string ScopeOf(string type)
        {
            var name = (string)Single(type)["name"]!;
            return $"[resourceId('{type}', {name.TrimStart('[').TrimEnd(']')})]";
        }

        /// <summary>The function app's settings: name to value (a literal, or the ARM expression that computes it).</summary>
        public Dictionary<string, string> AppSettings()
        {
            // concat([settings], releaseBranchSettings, entraSettings) compiles to one expression in which each setting
            // is createObject('name', '<name>', 'value', <expression>): read those calls' arguments.
            var settings = Settings((string)Single("Microsoft.Web/sites")["properties"]!["siteConfig"]!["appSettings"]!);
            Assert.NotEmpty(settings);
            return settings;
        }

        /// <summary>The settings an ARM expression builds with createObject('name', '&lt;name&gt;', 'value', &lt;expression&gt;).</summary>
        public static Dictionary<string, string> Settings(string text)
        {
            var settings = new Dictionary<string, string>();
            for (var at = text.IndexOf("createObject(", StringComparison.Ordinal); at >= 0; at = text.IndexOf("createObject(", at + 1, StringComparison.Ordinal))
            {
                var args = Arguments(text, at + "createObject(".Length);
                if (args.Count == 4 && args[0] == "'name'" && args[2] == "'value'")
                    settings[args[1].Trim('\'')] = args[3].StartsWith('\'') && args[3].EndsWith('\'') ? args[3][1..^1].Replace("''", "'") : args[3];
            }
            return settings;
        }

        /// <summary>The top-level arguments of the call whose argument list starts at <paramref name="start"/>.</summary>
        static List<string> Arguments(string text, int start)
        {
            var args = new List<string>();
            int depth = 0, from = start;
            for (var i = start; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '\'')
                {
                    for (i++; i < text.Length && !(text[i] == '\'' && (i + 1 >= text.Length || text[i + 1] != '\'')); i++)
                        if (text[i] == '\'') i++;
                }
                else if (c is '(' or '[') depth++;
                else if (c is ')' or ']')
                {
                    if (depth == 0) { args.Add(text[from..i].Trim()); return args; }
                    depth--;
                }
                else if (c == ',' && depth == 0) { args.Add(text[from..i].Trim()); from = i + 1; }
            }
            throw new InvalidOperationException($"unbalanced expression at {start}");
        }

        public List<RoleAssignment> RoleAssignments(JsonNode template)
        {
            var variables = template["variables"]?.AsObject();
            var roles = (variables?["roles"] ?? Root["variables"]!["roles"]!).AsObject();
            var result = new List<RoleAssignment>();
            foreach (var r in Resources("Microsoft.Authorization/roleAssignments", template))
            {
                var definition = (string)r["properties"]!["roleDefinitionId"]!;
                var scope = (string?)r["scope"] ?? "";
                var principalType = (string?)r["properties"]!["principalType"];
                var loopOver = Regex.Match((string?)r["copy"]?["count"] ?? "", @"length\(parameters\('(\w+)'\)\)") is { Success: true } lm ? lm.Groups[1].Value : null;
                var named = Regex.Match(definition, @"(?:variables|parameters)\('roles'\)\.(\w+)");
                var list = Regex.Match(definition, @"variables\('(\w+)'\)\[copyIndex\(\)\]");
                if (named.Success)
                    result.Add(new(scope, (string)roles[named.Groups[1].Value]!, principalType, loopOver));
                else if (list.Success)
                    foreach (var item in variables![list.Groups[1].Value]!.AsArray())
                        result.Add(new(scope, (string)roles[Regex.Match((string)item!, @"variables\('roles'\)\.(\w+)").Groups[1].Value]!, principalType, loopOver));
                else
                    Assert.Fail($"cannot read the role of {definition}");
            }
            return result;
        }

        public static (int Exit, string Stdout, string Stderr) Run(params string[] args)
        {
            var bicep = FindBicep();
            var start = new ProcessStartInfo(bicep) { WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "bicep did not finish in 2 minutes");
            return (process.ExitCode, stdout.Result, stderr.Result);
        }

        static string FindBicep()
        {
            var props = XDocument.Load(Path.Combine(RepoRoot, "Directory.Packages.props"));
            var version = props.Descendants("BicepCliVersion").Single().Value;
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
                ? p
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var bicep = Path.Combine(packages, "azure.bicep.commandline.linux-x64", version, "tools", "bicep");
            Assert.True(File.Exists(bicep),
                $"The Bicep CLI is not at {bicep}. It comes from the NuGet package Azure.Bicep.CommandLine.linux-x64 {version} " +
                "(a PackageDownload of this test project, and of infra/Bicep.Tool.proj): run `dotnet restore`.");
            if (!OperatingSystem.IsWindows() && !File.GetUnixFileMode(bicep).HasFlag(UnixFileMode.UserExecute))
                File.SetUnixFileMode(bicep, File.GetUnixFileMode(bicep) | UnixFileMode.UserExecute);
            return bicep;
        }

        static string FindRepoRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ReleaseFunctions.sln")))
                    return dir.FullName;
            throw new InvalidOperationException($"ReleaseFunctions.sln not found above {AppContext.BaseDirectory}");
        }
    }
}
