using ReleaseFunctions.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFunctionsHost();
var app = builder.Build();
app.MapGet("/healthz", () => TypedResults.Ok("healthy"));
app.MapFunctionsHost();
return await app.RunFunctionsHostAsync(args);

public partial class Program;
