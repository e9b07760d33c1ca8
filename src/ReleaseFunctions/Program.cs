using Microsoft.Azure.Functions.Worker.Builder;
using ReleaseFunctions.Composition;
using ReleaseFunctions.Hosting;

// Started by the Azure Functions host: the .NET isolated worker (HTTP and timer functions, the Durable extension).
if (FunctionsHostExtensions.IsLaunchedByFunctionsHost(args))
{
    var worker = FunctionsApplication.CreateBuilder(args);
    worker.AddReleaseFunctionsWorker();
    return await worker.Build().RunFunctionsHostAsync();
}

// `dotnet run`: the standalone ASP.NET Core app, with the same services, its own engine and timer scheduler.
var builder = WebApplication.CreateBuilder(args);
builder.AddFunctionsHost();
builder.AddReleaseFunctions();
builder.AddDashboard();

var app = builder.Build();
app.UseExceptionHandler(); // an engine that does not answer is a 503 to retry (EngineUnavailableHandler), not a 500
app.MapReleaseFunctions();
return await app.RunFunctionsHostAsync();

public partial class Program;
