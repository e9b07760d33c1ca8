using ReleaseFunctions.Composition;
using ReleaseFunctions.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFunctionsHost();
builder.AddReleaseFunctions();
builder.AddDashboard();

var app = builder.Build();
app.MapFunctionsHost();
app.MapReleaseFunctions();
return await app.RunFunctionsHostAsync(args);

public partial class Program;
