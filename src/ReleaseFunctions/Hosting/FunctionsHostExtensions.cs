using System.Net;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ReleaseFunctions.Hosting.CustomHandler;
using ReleaseFunctions.Hosting.Functions;
using ReleaseFunctions.Hosting.Publish;
using ReleaseFunctions.Hosting.Settings;
using ReleaseFunctions.Hosting.Timers;

namespace ReleaseFunctions.Hosting;

/// <summary>
/// Makes the app both a standalone ASP.NET Core app and an Azure Functions custom handler:
/// <c>builder.AddFunctionsHost()</c>, then <c>app.MapFunctionsHost()</c>, then <c>return await app.RunFunctionsHostAsync(args)</c>.
/// </summary>
public static class FunctionsHostExtensions
{
    /// <summary>The command-line switch that writes function.json files instead of running: <c>--emit-functions DIR</c>.</summary>
    public const string EmitFunctionsSwitch = "--emit-functions";

    /// <summary>
    /// Loads local.settings.json Values (below environment variables), registers and validates
    /// <see cref="ReleaseFunctionsOptions"/>, the function catalogue and the standalone timer scheduler, and, when
    /// <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> is set, listens on 127.0.0.1 at that port, where the Functions host calls.
    /// </summary>
    public static WebApplicationBuilder AddFunctionsHost(this WebApplicationBuilder builder)
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

        FunctionsHostMode mode;
        try
        {
            mode = FunctionsHostMode.FromConfiguration(builder.Configuration);
        }
        catch (FunctionsHostConfigurationException ex)
        {
            problems.Add(ex.Message);
            mode = FunctionsHostMode.Standalone;
        }

        if (mode.CustomHandlerPort is int port)
        {
            // The host calls the handler on 127.0.0.1 only; nothing else should reach this port.
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        }

        var services = builder.Services;
        services.AddSingleton(problems);
        services.AddSingleton(mode);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FunctionCatalog>();
        services.AddSingleton<TimerFunctionRunner>();
        services.AddHostedService<TimerFunctionScheduler>();
        services.AddSingleton<IConfigureOptions<ReleaseFunctionsOptions>, ReleaseFunctionsOptionsSetup>();
        services.AddSingleton<IValidateOptions<ReleaseFunctionsOptions>, ReleaseFunctionsOptionsValidator>();
        services.AddOptions<ReleaseFunctionsOptions>().ValidateOnStart();
        return builder;
    }

    /// <summary>Maps the custom handler's timer invocation endpoint when running under the Functions host.</summary>
    public static WebApplication MapFunctionsHost(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetRequiredService<FunctionsHostMode>().IsCustomHandler)
        {
            app.MapCustomHandlerInvocations();
        }

        return app;
    }

    /// <summary>
    /// Runs the app and returns its exit code: 0 after a normal stop; 1 when settings (every options type validated on
    /// start) are invalid, after writing each problem to standard error, without a stack trace. With <c>--emit-functions DIR</c> it writes the function.json files
    /// into DIR and exits instead of serving.
    /// </summary>
    public static async Task<int> RunFunctionsHostAsync(this WebApplication app, string[] args)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(args);
        var emit = Array.IndexOf(args, EmitFunctionsSwitch);
        if (emit >= 0)
        {
            return EmitFunctions(app, args, emit);
        }

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

    private static int EmitFunctions(WebApplication app, string[] args, int switchIndex)
    {
        if (switchIndex + 1 >= args.Length || args[switchIndex + 1].StartsWith("--", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"{EmitFunctionsSwitch} needs a directory; expected '{EmitFunctionsSwitch} <publish folder>'.");
            return 2;
        }

        var directory = Path.GetFullPath(args[switchIndex + 1]);
        try
        {
            var written = FunctionMetadataWriter.Write(app.Services.GetRequiredService<FunctionCatalog>(), directory);
            Console.Out.WriteLine($"Wrote {written.Count} function.json file(s) to {directory}.");
            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Cannot write function.json files to {directory}: {ex.Message}");
            return 1;
        }
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
