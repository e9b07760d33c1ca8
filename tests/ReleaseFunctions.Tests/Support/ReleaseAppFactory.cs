using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ReleaseFunctions.Core.Ports;
using HistoryEvent = ReleaseFunctions.Durable.HistoryEvent;

namespace ReleaseFunctions.Tests.Support;

/// <summary>
/// The whole app in memory with its data in a fresh temporary folder, a hand-moved clock (so soak timers never fire on
/// their own), and fake deployment target and SLI source named "sandbox" (the default policy's providers).
/// </summary>
internal sealed class ReleaseAppFactory : WebApplicationFactory<Program>
{
    public const string WebhookSecret = "It's a Secret to Everybody";
    public const string AliceKey = "alice-0123456789abcdef0123";
    public const string AnonymousKey = "fedcba9876543210fedcba98";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection> _services;

    private readonly bool _useSandbox;

    /// <param name="useSandbox">Keep the app's own sandbox target and SLI source instead of the fakes.</param>
    public ReleaseAppFactory(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, bool useSandbox = false)
    {
        _useSandbox = useSandbox;
        ContentRoot = Directory.CreateTempSubdirectory("releasefunctions-app-").FullName;
        _settings = new Dictionary<string, string?>
        {
            ["ReleaseFunctions:GitHub:WebhookSecrets"] = WebhookSecret,
            ["ReleaseFunctions:Operator:ApiKeys"] = $"alice:{AliceKey},{AnonymousKey}",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        _services = services ?? (_ => { });
    }

    public string ContentRoot { get; }

    /// <summary>The app's clock: Monday 2026-11-23 14:10 UTC as the fixtures were written (see <see cref="TestClock"/>).</summary>
    public static readonly DateTimeOffset Start = TestClock.At(2026, 11, 23, 14, 10, 0);

    public FakeTimeProvider Time { get; } = new(Start);

    public FakeDeploymentTarget Target { get; } = new();

    public DurableTaskClient Engine => Services.GetRequiredService<DurableTaskClient>();

    public IReleaseLedger Ledger => Services.GetRequiredService<IReleaseLedger>();

    /// <summary>An instance's history, from the embedded backend's store.</summary>
    public Task<IReadOnlyList<HistoryEvent>> HistoryAsync(string instanceId) => EngineHistory.OfAsync(Services, instanceId);

    public HttpClient CreateOperatorClient(string key = AliceKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>
    /// A client signed in as App Service Authentication passes a person on: <c>X-MS-CLIENT-PRINCIPAL</c> with their
    /// name and app roles, as the platform writes it (the app must be configured to trust it).
    /// </summary>
    public HttpClient CreateEntraClient(string userPrincipalName, params string[] roles)
    {
        const string Email = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
        var claims = new List<object> { new { typ = Email, val = userPrincipalName }, new { typ = "name", val = userPrincipalName.Split('@')[0] } };
        claims.AddRange(roles.Select(role => new { typ = "roles", val = role }));
        var principal = System.Text.Json.JsonSerializer.Serialize(new
        {
            auth_typ = "aad",
            claims,
            name_typ = Email,
            role_typ = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        });
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", Convert.ToBase64String(Encoding.UTF8.GetBytes(principal)));
        return client;
    }

    /// <summary>Posts a webhook delivery signed with the configured secret.</summary>
    public async Task<HttpResponseMessage> DeliverAsync(string eventName, string body, string? deliveryId = null, string secret = WebhookSecret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhook")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", deliveryId ?? Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", Sign(body, secret));
        return await CreateClient().SendAsync(request);
    }

    public static string Sign(string body, string secret)
        => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    public static string Payload(string name) => TestClock.ShiftTimestamps(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "GitHub", "Payloads", name + ".json")));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(ContentRoot);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            // The app's own sandbox target and SLI source give way to the fakes (the sandbox itself idles on the hand-moved clock).
            if (!_useSandbox)
            {
                services.RemoveAll<IDeploymentTarget>();
                services.RemoveAll<ISliSource>();
                services.AddSingleton<IDeploymentTarget>(Target);
                services.AddSingleton<ISliSource>(new FakeSliSource());
            }

            _services(services);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            DeleteContentRoot(ContentRoot);
        }
    }

    /// <summary>Deletes an app's temporary content root (its SQLite files included) once the app has stopped.</summary>
    internal static void DeleteContentRoot(string contentRoot)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(contentRoot, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a closing connection; the temp folder is cleaned by the OS.
        }
    }
}
