using Microsoft.Extensions.DependencyInjection.Extensions;
using ReleaseFunctions.Hosting.Cron;

namespace ReleaseFunctions.Hosting.Functions;

public static class FunctionCatalogServiceCollectionExtensions
{
    /// <summary>
    /// Declares a timer function run on an NCRONTAB <paramref name="schedule"/> in UTC; <typeparamref name="TFunction"/>
    /// is registered scoped and resolved per invocation.
    /// </summary>
    /// <exception cref="CronFormatException">The schedule is not a valid expression (the message names the function).</exception>
    public static IServiceCollection AddTimerFunction<TFunction>(this IServiceCollection services, string name, string schedule, bool runOnStartup = false)
        where TFunction : class, ITimerFunction
    {
        ArgumentNullException.ThrowIfNull(services);
        CronSchedule parsed;
        try
        {
            parsed = CronSchedule.Parse(schedule);
        }
        catch (CronFormatException ex)
        {
            throw ex.ForFunction(name);
        }

        var declaration = new TimerFunctionDeclaration(name, parsed, typeof(TFunction), runOnStartup);
        services.TryAddScoped<TFunction>();
        return services.AddFunction(declaration);
    }

    /// <summary>
    /// Declares an HTTP function for publish: the Functions host forwards <paramref name="route"/> to the app, whose
    /// minimal API endpoint on the same path serves it.
    /// </summary>
    public static IServiceCollection AddHttpFunction(this IServiceCollection services, string name, string route, params string[] methods)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddFunction(new HttpFunctionDeclaration(name, route, methods));
    }

    private static IServiceCollection AddFunction(this IServiceCollection services, FunctionDeclaration declaration)
    {
        var clash = services
            .Where(descriptor => descriptor.ServiceType == typeof(FunctionDeclaration))
            .Select(descriptor => descriptor.ImplementationInstance)
            .OfType<FunctionDeclaration>()
            .FirstOrDefault(existing => string.Equals(existing.Name, declaration.Name, StringComparison.OrdinalIgnoreCase));
        if (clash is not null)
        {
            throw new InvalidOperationException($"Function '{declaration.Name}' is already declared; expected unique names (case-insensitive).");
        }

        services.AddSingleton<FunctionDeclaration>(declaration);
        services.TryAddSingleton<FunctionCatalog>();
        return services;
    }
}
