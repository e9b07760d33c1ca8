using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ReleaseFunctions.Integrations.Deployment;

/// <summary>
/// A feature flag's value in Microsoft's feature-flag schema (<c>{"id", "enabled", "conditions": {"client_filters": [...]}}</c>),
/// read and changed as JSON so that everything a release does not own (other filters, the audience's users, groups and
/// exclusions, variants, telemetry, properties this code has never heard of) is written back as it was. A release owns two
/// things: <c>enabled</c>, and the <c>Microsoft.Targeting</c> filter's <c>Audience.DefaultRolloutPercentage</c>.
/// </summary>
internal sealed class FeatureFlagDocument
{
    /// <summary>The targeting filter's name as the portal writes it; feature management also knows it without the prefix.</summary>
    public const string TargetingFilter = "Microsoft.Targeting";

    private readonly JsonObject _root;
    private readonly JsonObject _audience;

    private FeatureFlagDocument(JsonObject root, JsonObject audience, bool enabled, double percentage)
    {
        _root = root;
        _audience = audience;
        Enabled = enabled;
        DefaultRolloutPercentage = percentage;
    }

    public bool Enabled { get; }

    /// <summary>The share (0 to 100) of everyone not named in the audience that gets the flag.</summary>
    public double DefaultRolloutPercentage { get; }

    /// <summary>The users and groups the audience names (they get the flag whatever the default percentage).</summary>
    public int TargetedUsers => (_audience["Users"] as JsonArray)?.Count ?? 0;

    public int TargetedGroups => (_audience["Groups"] as JsonArray)?.Count ?? 0;

    /// <summary>The share of traffic the flag gives the candidate: its default rollout percentage when enabled, else 0.</summary>
    public int CandidateWeightPercent => Enabled ? (int)Math.Round(DefaultRolloutPercentage, MidpointRounding.AwayFromZero) : 0;

    /// <summary>Reads a flag's value; null with <paramref name="problem"/> saying what is wrong (and what is expected) when it cannot be rolled out.</summary>
    public static FeatureFlagDocument? Parse(string? value, out string? problem)
    {
        JsonNode? node;
        try
        {
            node = string.IsNullOrWhiteSpace(value) ? null : JsonNode.Parse(value);
        }
        catch (JsonException ex)
        {
            problem = $"its value is not JSON ({ex.Message}); expected a feature flag such as {{\"id\": ..., \"enabled\": true, \"conditions\": {{\"client_filters\": [...]}}}}";
            return null;
        }

        if (node is not JsonObject root)
        {
            problem = "its value is not a JSON object; expected a feature flag such as {\"id\": ..., \"enabled\": true, \"conditions\": {\"client_filters\": [...]}}";
            return null;
        }

        // The schema's default for a missing "enabled" is false.
        var enabled = false;
        if (root["enabled"] is { } enabledNode)
        {
            if (enabledNode.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                problem = $"\"enabled\" is {enabledNode.ToJsonString()}; expected true or false";
                return null;
            }

            enabled = enabledNode.GetValue<bool>();
        }

        var filters = (root["conditions"] as JsonObject)?["client_filters"] as JsonArray;
        var targeting = filters?.OfType<JsonObject>().Where(IsTargeting).ToArray() ?? [];
        if (targeting.Length != 1)
        {
            problem = targeting.Length == 0
                ? $"it has no {TargetingFilter} filter, so it has no rollout percentage to set; add one (in the portal: the flag's Use feature filter, Targeting filter) with a default percentage of 0, and the release will never add or remove filters itself"
                : $"it has {targeting.Length} {TargetingFilter} filters; expected exactly one, whose default percentage the release sets";
            return null;
        }

        if ((targeting[0]["parameters"] as JsonObject)?["Audience"] is not JsonObject audience)
        {
            problem = $"its {TargetingFilter} filter has no parameters.Audience object; expected {{\"Audience\": {{\"Users\": [], \"Groups\": [], \"DefaultRolloutPercentage\": 0}}}}";
            return null;
        }

        var percentage = audience["DefaultRolloutPercentage"];
        if (percentage is null || percentage.GetValueKind() != JsonValueKind.Number || percentage.GetValue<double>() is < 0 or > 100)
        {
            problem = $"its {TargetingFilter} filter's Audience.DefaultRolloutPercentage is {percentage?.ToJsonString() ?? "missing"}; expected a number from 0 to 100";
            return null;
        }

        problem = null;
        return new FeatureFlagDocument(root, audience, enabled, percentage.GetValue<double>());
    }

    /// <summary>Whether the flag already is as asked (null: as it is), so there is nothing to write.</summary>
    public bool Is(bool? enabled, int? percentage) => (enabled is not { } e || Enabled == e) && (percentage is not { } p || DefaultRolloutPercentage == p);

    /// <summary>The flag's value with <c>enabled</c> and the default rollout percentage set where given, everything else as read.</summary>
    public string With(bool? enabled, int? percentage)
    {
        var root = (JsonObject)_root.DeepClone();
        if (enabled is { } e)
        {
            root["enabled"] = e;
        }

        if (percentage is { } p)
        {
            var audience = (JsonObject)((JsonObject)((JsonObject)root["conditions"]!)["client_filters"]!.AsArray().OfType<JsonObject>().Single(IsTargeting)["parameters"]!)["Audience"]!;
            audience["DefaultRolloutPercentage"] = p;
        }

        return root.ToJsonString();
    }

    /// <summary>For the evidence: the state in a few words.</summary>
    public string Describe()
    {
        var percentage = DefaultRolloutPercentage.ToString("0.##", CultureInfo.InvariantCulture);
        var named = TargetedUsers + TargetedGroups == 0 ? "" : $", and {TargetedUsers} user(s) and {TargetedGroups} group(s) the audience names";
        return Enabled
            ? $"enabled, {TargetingFilter} default rollout {percentage}%{named}"
            : $"disabled (off for everyone; default rollout {percentage}% kept{named})";
    }

    private static bool IsTargeting(JsonObject filter)
        => filter["name"] is JsonValue name && name.GetValueKind() == JsonValueKind.String
           && (string.Equals(name.GetValue<string>(), TargetingFilter, StringComparison.OrdinalIgnoreCase)
               || string.Equals(name.GetValue<string>(), "Targeting", StringComparison.OrdinalIgnoreCase));
}
