using System.Globalization;

namespace ReleaseFunctions.Hosting;

/// <summary>
/// Whether the app runs standalone or as an Azure Functions custom handler. The Functions host starts the handler with
/// <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set to the port it will call on 127.0.0.1.
/// </summary>
public sealed record FunctionsHostMode
{
    public const string CustomHandlerPortSetting = "FUNCTIONS_CUSTOMHANDLER_PORT";

    private FunctionsHostMode(int? customHandlerPort) => CustomHandlerPort = customHandlerPort;

    /// <summary>The port to listen on for the Functions host, or null when standalone.</summary>
    public int? CustomHandlerPort { get; }

    public bool IsCustomHandler => CustomHandlerPort is not null;

    public static FunctionsHostMode Standalone { get; } = new((int?)null);

    /// <summary>Reads <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> from configuration (environment variables included).</summary>
    /// <exception cref="FunctionsHostConfigurationException">The setting is present but not a TCP port.</exception>
    public static FunctionsHostMode FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[CustomHandlerPortSetting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return Standalone;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FunctionsHostConfigurationException(
                $"{CustomHandlerPortSetting} is '{value}'; expected the TCP port (1-65535) the Functions host calls the custom handler on.");
        }

        return new FunctionsHostMode(port);
    }
}

/// <summary>A setting the host needs before it can start is wrong; the message names it and what is expected.</summary>
public sealed class FunctionsHostConfigurationException(string message) : Exception(message);
