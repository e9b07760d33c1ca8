namespace ReleaseFunctions.Hosting.Settings;

/// <summary>Names settings the way Functions app settings and environment variables spell them.</summary>
internal static class SettingKeys
{
    public static string Of(params string[] path) => string.Join("__", [ReleaseFunctionsOptions.SectionName, .. path]).Replace(":", "__", StringComparison.Ordinal);
}
