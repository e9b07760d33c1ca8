using ReleaseFunctions.Composition;
using ReleaseFunctions.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFunctionsHost();
builder.AddReleaseFunctions();

var app = builder.Build();
app.MapFunctionsHost();
app.MapReleaseFunctions();
app.MapDashboard();
return await app.RunFunctionsHostAsync(args);

public partial class Program;
