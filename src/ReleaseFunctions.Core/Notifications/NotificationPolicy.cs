using System.Text.RegularExpressions;

namespace ReleaseFunctions.Core.Notifications;

/// <summary>What happened to a release that people may be told about on a channel.</summary>
public enum NotificationEvent
{
    /// <summary>The merge was received and the policy read: the release begins (it may still wait for a freeze window).</summary>
    Started,
    /// <summary>The release waits for people: an approval the policy names, or a decision after a gate that did not pass.</summary>
    WaitingForApproval,
    /// <summary>A gate failed: its analysis, or its watch (a fired alert, a burning error budget) during a soak.</summary>
    GateFailed,
    /// <summary>Traffic is back on the stable version.</summary>
    RolledBack,
    /// <summary>Traffic could not be moved back: someone must act.</summary>
    RollbackFailed,
    /// <summary>Every stage passed; the candidate is the stable version.</summary>
    Promoted,
    /// <summary>The post-release review was written and posted.</summary>
    ReviewPosted,
}

/// <summary>How a channel is reached.</summary>
public enum NotificationChannelKind
{
    /// <summary>A Microsoft Teams Workflows webhook ("Post to a channel when a webhook request is received"): an Adaptive Card.</summary>
    Teams,
    /// <summary>A Slack incoming webhook: text with Block Kit blocks.</summary>
    Slack,
    /// <summary>Any receiver of JSON signed with HMAC-SHA256 under a shared secret.</summary>
    Webhook,
}

/// <summary>
/// One channel of the policy's <c>notifications</c>: its name, how it is reached, the events it wants, and the app
/// setting group that holds its address (<c>ReleaseFunctions__Notifications__Channels__{Setting}__Url</c>, and
/// <c>__Secret</c> for a signed webhook). The policy is in the repository for everyone to read, so it names the
/// setting and never holds the URL or the secret.
/// </summary>
public sealed partial record NotificationChannel
{
    public NotificationChannel(string name, NotificationChannelKind kind, IReadOnlyList<NotificationEvent> events, string? setting = null)
    {
        if (string.IsNullOrWhiteSpace(name) || !NamePattern().IsMatch(name))
        {
            throw new ArgumentException($"A channel name is lower-case letters, digits and '-', starting with a letter; got '{name}'.", nameof(name));
        }

        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException($"Channel '{name}' wants no event; expected at least one of {string.Join(", ", NotificationEvents.Names)}.", nameof(events));
        }

        if (events.Distinct().Count() != events.Count)
        {
            throw new ArgumentException($"Channel '{name}' names an event more than once.", nameof(events));
        }

        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "A channel is teams, slack or webhook.");
        }

        setting ??= DefaultSetting(name);
        if (!SettingPattern().IsMatch(setting))
        {
            throw new ArgumentException($"A channel's setting is letters, digits and '_' (it is part of an app setting's name); got '{setting}'.", nameof(setting));
        }

        Name = name;
        Kind = kind;
        Events = events;
        Setting = setting;
    }

    public string Name { get; }
    public NotificationChannelKind Kind { get; }
    public IReadOnlyList<NotificationEvent> Events { get; }

    /// <summary>The app setting group of the channel's URL (and secret); by default the name with '-' written '_'.</summary>
    public string Setting { get; }

    public bool Wants(NotificationEvent notificationEvent) => Events.Contains(notificationEvent);

    /// <summary>The setting group a channel named <paramref name="name"/> uses when the policy names none: app settings cannot hold '-' everywhere.</summary>
    public static string DefaultSetting(string name) => name.Replace('-', '_');

    /// <summary>
    /// The app setting that holds a part of a channel's address as Functions spells it, e.g.
    /// <c>ReleaseFunctions__Notifications__Channels__sre_teams__Url</c> (<paramref name="part"/> Url or Secret).
    /// </summary>
    public static string SettingKey(string setting, string part) => $"ReleaseFunctions__Notifications__Channels__{setting}__{part}";

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    internal static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9_]{1,64}$")]
    internal static partial Regex SettingPattern();
}

/// <summary>The policy's <c>notifications</c>: which events go to which channels.</summary>
public sealed record NotificationPolicy
{
    public NotificationPolicy(IReadOnlyList<NotificationChannel> channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (channels.Count == 0)
        {
            throw new ArgumentException("Notifications need at least one channel.", nameof(channels));
        }

        var duplicate = channels.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Channel names must be unique; '{duplicate.Key}' appears {duplicate.Count()} times.", nameof(channels));
        }

        Channels = channels;
    }

    public IReadOnlyList<NotificationChannel> Channels { get; }

    /// <summary>The channels that want <paramref name="notificationEvent"/>, in policy order.</summary>
    public IReadOnlyList<NotificationChannel> ChannelsFor(NotificationEvent notificationEvent) => Channels.Where(c => c.Wants(notificationEvent)).ToArray();
}
