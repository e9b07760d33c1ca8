using System.Security.Cryptography;
using System.Text;

namespace ReleaseFunctions.Integrations.Tests.Support;

/// <summary>What a receiver of the app's signed calls does: recompute <c>sha256=&lt;hex HMAC-SHA256&gt;</c> and compare in constant time.</summary>
internal static class ReceivedSignature
{
    /// <param name="signed">What the sender signs: the body for the hooks, "{timestamp}.{body}" for the notification webhook.</param>
    public static bool Verifies(RecordedRequest request, string secret, string signed)
    {
        var expected = Encoding.ASCII.GetBytes("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(signed))));
        var actual = Encoding.ASCII.GetBytes(request.Header("X-ReleaseFunctions-Signature-256") ?? "");
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
