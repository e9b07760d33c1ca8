using System.Text;

namespace ReleaseFunctions.Core.Audit;

/// <summary>
/// The secret the audit chain is keyed with: each record's hash is an HMAC-SHA256 under it, so whoever can rewrite
/// the trail's storage but does not hold the key cannot recompute a consistent chain. At least
/// <see cref="MinimumBytes"/> bytes. Its text never appears in messages.
/// </summary>
public sealed class AuditChainKey
{
    /// <summary>32 bytes: the HMAC-SHA256 block's worth of security.</summary>
    public const int MinimumBytes = 32;

    private readonly byte[] _bytes;

    public AuditChainKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinimumBytes)
        {
            throw new ArgumentException($"An audit chain key has {key.Length} byte(s); expected a random secret of at least {MinimumBytes} bytes.", nameof(key));
        }

        _bytes = key.ToArray();
    }

    /// <summary>The key whose bytes are <paramref name="secret"/>'s UTF-8 (as settings and the key file hold it).</summary>
    public static AuditChainKey FromText(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return new AuditChainKey(Encoding.UTF8.GetBytes(secret));
    }

    /// <summary>How many bytes <paramref name="secret"/> gives as a key (its UTF-8), to check a setting without holding it.</summary>
    public static int ByteCount(string secret) => Encoding.UTF8.GetByteCount(secret ?? "");

    internal ReadOnlySpan<byte> Bytes => _bytes;

    public override string ToString() => $"audit chain key ({_bytes.Length} bytes)";
}
