using System.Globalization;
using System.Text;

namespace ReleaseFunctions.Durable.Storage;

/// <summary>The position after the last instance of a page: its creation time and id (pages are newest first).</summary>
internal readonly record struct ContinuationToken(long CreatedTicks, string InstanceId)
{
    public override string ToString()
        => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{CreatedTicks.ToString(CultureInfo.InvariantCulture)}|{InstanceId}"));

    public static bool TryParse(string? text, out ContinuationToken token)
    {
        token = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        try
        {
            var raw = Encoding.UTF8.GetString(Convert.FromBase64String(text));
            var bar = raw.IndexOf('|', StringComparison.Ordinal);
            if (bar > 0 && long.TryParse(raw.AsSpan(0, bar), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks))
            {
                token = new ContinuationToken(ticks, raw[(bar + 1)..]);
                return true;
            }
        }
        catch (FormatException)
        {
        }

        throw new ArgumentException($"The continuation token '{text}' is not one this store issued; pass the token from the previous page unchanged.", nameof(text));
    }
}
