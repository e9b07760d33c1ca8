using System.Globalization;
using System.Text;
using Azure.Data.Tables;

namespace ReleaseFunctions.Ledger.Tables;

/// <summary>
/// Partition and row keys from the ledger's own ids. Table keys forbid <c>/ \ # ?</c> and control characters, and
/// release ids, idempotency keys, delivery ids and names come from callers: every character outside
/// <c>[A-Za-z0-9._-]</c> (and <c>~</c> itself) is written as <c>~XX</c> per UTF-8 byte, which keeps distinct ids distinct
/// and leaves the ids the app makes (<c>release-owner.repo-pr7-0123456789ab</c>) readable as they are.
/// </summary>
internal static class TableKeys
{
    /// <summary>The longest id taken: its encoding (at most 3 characters per byte) stays well below the 1 KiB a key may have.</summary>
    public const int MaxIdLength = 256;

    public static string Encode(string id, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(id, what);
        if (id.Length > MaxIdLength)
        {
            throw new ArgumentException($"The {what} has {id.Length} characters; expected at most {MaxIdLength}.", what);
        }

        var text = new StringBuilder(id.Length);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in id.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '.' or '_' or '-'))
            {
                text.Append((char)rune.Value);
                continue;
            }

            var count = rune.EncodeToUtf8(bytes);
            foreach (var b in bytes[..count])
            {
                text.Append('~').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }

    /// <summary>A sequence number as a row key that sorts as the number does.</summary>
    public static string Sequence(long sequence) => sequence.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>Rows whose key starts with <paramref name="prefix"/> (which ends in '-', whose successor is '.').</summary>
    public static string RowsStartingWith(string partitionKey, string prefix)
        => TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + "."}");
}

/// <summary>
/// Text longer than one property may hold (64 KiB, i.e. 32K UTF-16 characters) spread over numbered properties
/// <c>Name</c>, <c>Name_1</c>, ...: evidence and reviews are JSON documents of any size up to what an entity holds (1 MiB).
/// </summary>
internal static class LongText
{
    private const int ChunkChars = 30_000;
    private const int MaxChunks = 15;

    /// <summary>The most characters one text may have in an entity.</summary>
    public const int MaxChars = ChunkChars * MaxChunks;

    public static void Write(TableEntity entity, string name, string text, string what)
    {
        if (text.Length > MaxChars)
        {
            throw new ArgumentException($"The {what} has {text.Length} characters; expected at most {MaxChars} (an Azure Table entity holds 1 MiB).", what);
        }

        var at = 0;
        for (var i = 0; at < text.Length || i == 0; i++)
        {
            var length = Math.Min(ChunkChars, text.Length - at);
            if (at + length < text.Length && char.IsHighSurrogate(text[at + length - 1]))
            {
                length--; // never split a surrogate pair
            }

            entity[i == 0 ? name : $"{name}_{i}"] = text.Substring(at, length);
            at += length;
        }
    }

    public static string Read(TableEntity entity, string name)
    {
        var first = entity.GetString(name) ?? throw new InvalidDataException($"The release ledger's row {entity.PartitionKey}/{entity.RowKey} has no {name}.");
        if (!entity.ContainsKey($"{name}_1"))
        {
            return first;
        }

        var text = new StringBuilder(first);
        for (var i = 1; entity.GetString($"{name}_{i}") is { } chunk; i++)
        {
            text.Append(chunk);
        }

        return text.ToString();
    }
}
