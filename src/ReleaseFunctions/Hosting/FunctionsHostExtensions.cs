using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Hosting.Timers;

namespace ReleaseFunctions.Hosting;

/// <summary>
/// What both hosts of the app share: <c>builder.AddFunctionsHost()</c> (settings from local.settings.json below the
/// environment, <see cref="ReleaseFunctionsOptions"/> validated on start; standalone, the timer scheduler too) and
/// <c>return await app.RunFunctionsHostAsync()</c>, which turns invalid settings into exit code 1 and a list.
/// </summary>
public static class FunctionsHostExtensions
{
    /// <summary>The configuration key the isolated worker reads the Functions host's gRPC endpoint from.</summary>
    public const string HostEndpointKey = "Functions:Worker:HostEndpoint";

    /// <summary>The command-line switch the Functions host passes that endpoint with (the worker maps it to <see cref="HostEndpointKey"/>).</summary>
    public const string HostEndpointSwitch = "--functions-uri";

    /// <summary>
    /// Whether the Functions host launched this process as its .NET isolated worker: the host passes its gRPC endpoint
    /// as <c>--functions-uri</c> (with <c>--functions-worker-id</c>, <c>--functions-request-id</c>), and FunctionsNetHost
    /// (placeholder mode) sets <c>Functions:Worker:HostEndpoint</c> in the environment instead; the worker reads one or
    /// the other and cannot start without them. <c>FUNCTIONS_WORKER_RUNTIME</c> alone proves nothing: it is in every
    /// local.settings.json, which <c>dotnet run</c> reads too.
    /// </summary>
    public static bool IsLaunchedByFunctionsHost(IReadOnlyList<string> args, IConfiguration? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Any(arg => arg == HostEndpointSwitch || arg.StartsWith(HostEndpointSwitch + "=", StringComparison.Ordinal)))
        {
            return true;
        }

        environment ??= new ConfigurationBuilder().AddEnvironmentVariables().AddEnvironmentVariables("AZURE_FUNCTIONS_").Build();
        return !string.IsNullOrWhiteSpace(environment[HostEndpointKey]);
    }

    /// <summary>
    /// Loads local.settings.json Values (below environment variables) and registers and validates
    /// <see cref="ReleaseFunctionsOptions"/>; standalone (any builder but a <see cref="FunctionsApplicationBuilder"/>) it
    /// also registers the scheduler that runs the timer functions, which the Functions host triggers itself.
    /// </summary>
    public static TBuilder AddFunctionsHost<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var problems = new HostStartupProblems();

        var localSettings = LocalSettingsFile.Load(builder.Environment.ContentRootPath);
        foreach (var problem in localSettings.Problems)
        {
            problems.Add(problem);
        }

        if (localSettings.Values.Count > 0)
        {
            InsertBelowEnvironmentVariables(builder.Configuration, new MemoryConfigurationSource { InitialData = localSettings.Values });
        }

        var services = builder.Services;
        services.AddSingleton(problems);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FunctionCatalog>();
        if (builder is not FunctionsApplicationBuilder)
        {
            services.AddSingleton<TimerFunctionRunner>();
            services.AddHostedService<TimerFunctionScheduler>();
        }

        services.AddSingleton<IConfigureOptions<ReleaseFunctionsOptions>, ReleaseFunctionsOptionsSetup>();
        services.AddSingleton<IValidateOptions<ReleaseFunctionsOptions>, ReleaseFunctionsOptionsValidator>();
        services.AddOptions<ReleaseFunctionsOptions>().ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// Runs the app and returns its exit code: 0 after a normal stop; 1 when settings (every options type validated on
    /// start) are invalid, after writing each problem to standard error, without a stack trace.
    /// </summary>
    public static async Task<int> RunFunctionsHostAsync(this IHost app)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            // Validating before the host starts keeps the host from logging the failure with a stack trace.
            app.Services.GetService<IStartupValidator>()?.Validate();
        }
        catch (Exception ex) when (SettingsProblems(ex) is { Count: > 0 } messages)
        {
            await Console.Error.WriteLineAsync("ReleaseFunctions cannot start because of its settings:").ConfigureAwait(false);
            foreach (var message in messages)
            {
                await Console.Error.WriteLineAsync($"  - {message}").ConfigureAwait(false);
            }

            return 1;
        }

        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }

    private static IReadOnlyList<string> SettingsProblems(Exception exception) => exception switch
    {
        OptionsValidationException validation => validation.Failures.ToList(),
        AggregateException aggregate => aggregate.InnerExceptions.SelectMany(SettingsProblems).ToList(),
        _ => [],
    };

    private static void InsertBelowEnvironmentVariables(IConfigurationBuilder configuration, IConfigurationSource source)
    {
        var sources = configuration.Sources;
        var index = -1;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is EnvironmentVariablesConfigurationSource { Prefix: null or "" })
            {
                index = i;
            }
        }

        if (index < 0)
        {
            sources.Add(source);
        }
        else
        {
            sources.Insert(index, source);
        }
    }
}
