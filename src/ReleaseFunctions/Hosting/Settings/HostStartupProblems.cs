namespace ReleaseFunctions.Hosting.Settings;

/// <summary>
/// Problems found while the host was being built (an unreadable local.settings.json).
/// They are reported with the settings validation at start, so every configuration error stops the app the same way.
/// </summary>
internal sealed class HostStartupProblems
{
    private readonly List<string> _messages = [];

    public IReadOnlyList<string> Messages => _messages;

    public void Add(string message) => _messages.Add(message);
}
