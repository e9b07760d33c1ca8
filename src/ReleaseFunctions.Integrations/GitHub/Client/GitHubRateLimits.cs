using System.Globalization;

namespace ReleaseFunctions.Integrations.GitHub.Client;

/// <summary>
/// How long GitHub asks a caller to wait, read from an answer's status and headers: <c>Retry-After</c> (seconds or an
/// HTTP date), or a spent primary limit (<c>X-RateLimit-Remaining: 0</c> until <c>X-RateLimit-Reset</c>). Used both by
/// the retry handler (to wait) and by the failure message (to say why it stopped waiting).
/// </summary>
internal static class GitHubRateLimits
{
    /// <summary>
    /// The wait GitHub asks for, or null when the answer is not a rate limit. A 403 without rate-limit headers is a
    /// permission refusal and is not waited on; a 429 without them waits one minute, as GitHub documents for secondary limits.
    /// </summary>
    public static TimeSpan? Wait(int status, Func<string, string?> header, DateTimeOffset now)
    {
        if (status is not (403 or 429 or 503))
        {
            return null;
        }

        if (header("Retry-After") is { Length: > 0 } retryAfter)
        {
            if (long.TryParse(retryAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(1).TotalSeconds));
            }

            if (DateTimeOffset.TryParseExact(retryAfter, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            {
                return date > now ? date - now : TimeSpan.Zero;
            }
        }

        if (header("X-RateLimit-Remaining") == "0"
            && long.TryParse(header("X-RateLimit-Reset"), NumberStyles.None, CultureInfo.InvariantCulture, out var reset))
        {
            var wait = DateTimeOffset.FromUnixTimeSeconds(Math.Min(reset, 253402300799)) - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return status == 429 ? TimeSpan.FromMinutes(1) : null;
    }
}
