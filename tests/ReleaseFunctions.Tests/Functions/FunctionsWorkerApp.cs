using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Moq;
using ReleaseFunctions.Composition;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Tests.Functions;

/// <summary>
/// The app as the Functions worker builds it (<c>FunctionsApplication.CreateBuilder(args).AddReleaseFunctionsWorker()</c>,
/// as Program.cs does under the Functions host), built but not started: no Functions host is needed. Its content root
/// is a fresh temporary folder holding the dashboard's files, its clock a fake.
/// </summary>
internal sealed class FunctionsWorkerApp : IDisposable
{
    public const string OperatorKey = "alice-0123456789abcdef0123";

    /// <summary>A read-only key (Release.Read), of operator "reader".</summary>
    public const string ReaderKey = "reader-worker-0123456789abcdef";

    /// <param name="time">The app's clock; a <see cref="FakeTimeProvider"/> at <see cref="Support.ReleaseAppFactory.Start"/> by default.</param>
    public FunctionsWorkerApp(IDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        Time = time ?? new FakeTimeProvider(Support.ReleaseAppFactory.Start);
        ContentRoot = Directory.CreateTempSubdirectory("releasefunctions-worker-").FullName;
        CopyDirectory(Path.Combine(AppContext.BaseDirectory, "dashboard-wwwroot"), Path.Combine(ContentRoot, "wwwroot"));
        var builder = FunctionsApplication.CreateBuilder(["--contentRoot", ContentRoot]);
        var values = new Dictionary<string, string?>
        {
            // What the Functions host passes the worker (--functions-uri and the ids); nothing connects, the host is not started.
            ["Functions:Worker:HostEndpoint"] = "http://127.0.0.1:9/",
            ["Functions:Worker:WorkerId"] = Guid.NewGuid().ToString(),
            ["Functions:Worker:RequestId"] = Guid.NewGuid().ToString(),
            ["Functions:Worker:GrpcMaxMessageLength"] = "2147483647",
            ["ReleaseFunctions:GitHub:WebhookSecrets"] = Support.ReleaseAppFactory.WebhookSecret,
            ["ReleaseFunctions:Operator:ApiKeys"] = $"alice:{OperatorKey},reader:Release.Read:{ReaderKey}",
            ["ReleaseFunctions:Store:LedgerPath"] = Path.Combine(ContentRoot, "data", "releases.db"),
            // The worker's default ledger is in Table storage (FunctionsWorkerTests starts one on Azurite); these run on the file.
            ["ReleaseFunctions:Ledger:Provider"] = "Sqlite",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(values);
        builder.Services.AddSingleton<TimeProvider>(Time);
        builder.AddReleaseFunctionsWorker();
        // The sandbox's target and SLI source give way to the fakes, as in ReleaseAppFactory.
        builder.Services.RemoveAll<IDeploymentTarget>();
        builder.Services.RemoveAll<ISliSource>();
        builder.Services.AddSingleton<IDeploymentTarget>(new Support.FakeDeploymentTarget());
        builder.Services.AddSingleton<ISliSource>(new Support.FakeSliSource());
        Host = builder.Build();
    }

    public string ContentRoot { get; }

    public TimeProvider Time { get; }

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    public IReleaseLedger Ledger => Services.GetRequiredService<IReleaseLedger>();

    /// <summary>A function class as the worker's activator makes it: from the invocation's services.</summary>
    public T Function<T>(IServiceScope scope) where T : class => ActivatorUtilities.GetServiceOrCreateInstance<T>(scope.ServiceProvider);

    /// <summary>A FunctionContext as the worker passes it, with the invocation's services and cancellation.</summary>
    public static Mock<FunctionContext> Context(IServiceScope scope, CancellationToken cancellationToken = default)
    {
        var context = new Mock<FunctionContext>(MockBehavior.Strict);
        context.SetupGet(c => c.InstanceServices).Returns(scope.ServiceProvider);
        context.SetupGet(c => c.CancellationToken).Returns(cancellationToken);
        context.SetupGet(c => c.InvocationId).Returns(Guid.NewGuid().ToString());
        context.SetupGet(c => c.Items).Returns(new Dictionary<object, object>());
        return context;
    }

    /// <summary>The request the worker's ASP.NET Core integration hands an HTTP function.</summary>
    public static HttpRequest Request(IServiceScope scope, string method, string path, string? query = null, string? body = null, string? operatorKey = OperatorKey, IDictionary<string, string>? headers = null)
    {
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Method = method;
        http.Request.Path = path;
        http.Request.QueryString = query is null ? QueryString.Empty : new QueryString(query);
        http.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body ?? ""));
        http.Request.ContentLength = Encoding.UTF8.GetByteCount(body ?? "");
        if (body is not null)
        {
            http.Request.ContentType = "application/json";
        }

        if (operatorKey is not null)
        {
            http.Request.Headers.Authorization = $"Bearer {operatorKey}";
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            http.Request.Headers[name] = value;
        }

        http.Response.Body = new MemoryStream();
        return http.Request;
    }

    /// <summary>Executes what a function returned, as the worker does, and reads the response.</summary>
    public static async Task<(int Status, string Body, IHeaderDictionary Headers)> ExecuteAsync(IActionResult result, HttpRequest request)
    {
        await result.ExecuteResultAsync(new ActionContext(request.HttpContext, new RouteData(), new ActionDescriptor()));
        var response = request.HttpContext.Response;
        response.Body.Position = 0;
        return (response.StatusCode, await new StreamReader(response.Body).ReadToEndAsync(), response.Headers);
    }

    public void Dispose()
    {
        Host.Dispose();
        Support.ReleaseAppFactory.DeleteContentRoot(ContentRoot);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
