using System.Buffers.Text;
using System.Globalization;
using System.Text;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Ledger;

/// <summary>Where a page of releases ended: the last release's start time and id. Opaque to callers (base64url text); every ledger issues the same tokens.</summary>
internal sealed record ReleaseCursor(long StartedAtTicks, string InstanceId)
{
    public string ToToken() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{StartedAtTicks.ToString(CultureInfo.InvariantCulture)}|{InstanceId}"));

    /// <summary>
    /// The page from <paramref name="read"/>, releases in page order read one past <paramref name="pageSize"/>: that
    /// one more says another page follows, and the token points after the last release kept.
    /// </summary>
    public static ReleasePage PageOf(List<ReleaseRecord> read, int pageSize)
    {
        if (read.Count <= pageSize)
        {
            return new ReleasePage(read, null);
        }

        read.RemoveRange(pageSize, read.Count - pageSize);
        var lastOnPage = read[^1];
        return new ReleasePage(read, new ReleaseCursor(lastOnPage.StartedAt.UtcTicks, lastOnPage.InstanceId).ToToken());
    }

    public static ReleaseCursor Parse(string token)
    {
        const string Expected = "expected the continuationToken returned with the previous page, unchanged";
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(Base64Url.DecodeFromChars(token));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            throw new ArgumentException($"The continuation token '{token}' is not one this service issued; {Expected}.", nameof(ReleaseFilter.ContinuationToken));
        }

        var bar = text.IndexOf('|', StringComparison.Ordinal);
        if (bar <= 0 || bar == text.Length - 1 || !long.TryParse(text.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            throw new ArgumentException($"The continuation token '{token}' is not one this service issued; {Expected}.", nameof(ReleaseFilter.ContinuationToken));
        }

        return new ReleaseCursor(ticks, text[(bar + 1)..]);
    }
}
