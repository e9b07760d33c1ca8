using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ReleaseFunctions.Core.Audit;

/// <summary>
/// Builds and verifies the hash chain of the audit trail. Sequences start at 1; the first record links to
/// <see cref="GenesisHash"/>. The chain is keyed: each hash is an HMAC-SHA256 under an <see cref="AuditChainKey"/>
/// kept outside the trail's storage, so rewriting every record consistently is still found by whoever holds the key.
/// A trail sealed without a key (or with another one) does not verify, and the reason says so. Truncating the tail
/// keeps the rest consistent; <see cref="Verify"/> also checks an <see cref="AuditAnchor"/> kept elsewhere when one is given.
/// </summary>
public static class AuditChain
{
    /// <summary>The previous hash of record 1.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>Seals <paramref name="entry"/> as the record after <paramref name="last"/> (null for the first record).</summary>
    public static AuditRecord Append(AuditRecord? last, AuditEntry entry, AuditChainKey key)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Subject);
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Actor);
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Kind);
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Reason);
        var at = entry.At.ToUniversalTime();
        if (last is not null && at < last.At)
        {
            throw new ArgumentException($"An audit record cannot be dated {at:O}, before the previous record's {last.At:O}.", nameof(entry));
        }

        var evidence = CanonicalJson(entry.EvidenceJson);
        var sequence = (last?.Sequence ?? 0) + 1;
        var previous = last?.Hash ?? GenesisHash;
        var unsealed = new AuditRecord(sequence, entry.Subject, at, entry.Actor, entry.Kind, entry.Reason, evidence, previous, string.Empty);
        return unsealed with { Hash = ComputeHash(unsealed, key) };
    }

    /// <summary>
    /// Verifies the trail from record 1: sequences consecutive, each record linked to its predecessor's hash, each
    /// hash matching the record's content under <paramref name="key"/>, and the anchor (if given) matching. Reports the first break.
    /// </summary>
    public static AuditVerification Verify(IReadOnlyList<AuditRecord> records, AuditChainKey key, AuditAnchor? anchor = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(key);
        var previousHash = GenesisHash;
        long expected = 1;
        foreach (var record in records)
        {
            if (record.Sequence != expected)
            {
                return AuditVerification.Broken(expected, record.Sequence > expected
                    ? $"record {expected} is missing: found record {record.Sequence} after {expected - 1}"
                    : $"found record {record.Sequence} where record {expected} belongs: records are out of order or duplicated");
            }

            if (!string.Equals(record.PreviousHash, previousHash, StringComparison.Ordinal))
            {
                return AuditVerification.Broken(expected, $"record {expected} does not link to the hash of record {expected - 1}: a record was inserted, removed or rewritten before it");
            }

            byte[] canonical;
            try
            {
                canonical = CanonicalForm(record);
            }
            catch (JsonException)
            {
                return AuditVerification.Broken(expected, $"record {expected} holds evidence that is not valid JSON");
            }

            if (!string.Equals(record.Hash, Keyed(canonical, key), StringComparison.Ordinal))
            {
                return AuditVerification.Broken(expected, string.Equals(record.Hash, Unkeyed(canonical), StringComparison.Ordinal)
                    ? $"record {expected} was sealed without the chain key (a plain SHA-256): the trail was written before the chain was keyed, or rewritten by someone without the key, and cannot be trusted"
                    : $"record {expected} does not match its hash under this app's chain key: its content was changed, or the trail was sealed with another key");
            }

            previousHash = record.Hash;
            expected++;
        }

        if (anchor is not null)
        {
            var anchored = records.FirstOrDefault(r => r.Sequence == anchor.Sequence);
            if (anchored is null)
            {
                return AuditVerification.Broken(anchor.Sequence, $"record {anchor.Sequence} of the anchored head is missing: the trail was truncated to {records.Count} record(s)");
            }

            if (!string.Equals(anchored.Hash, anchor.Hash, StringComparison.Ordinal))
            {
                return AuditVerification.Broken(anchor.Sequence, $"record {anchor.Sequence} does not match the anchored head hash: the trail was rewritten");
            }
        }

        return AuditVerification.Intact(records.Count);
    }

    /// <summary>
    /// HMAC-SHA256 under <paramref name="key"/> (lower-case hex) of the canonical serialization of everything but
    /// <see cref="AuditRecord.Hash"/>.
    /// </summary>
    public static string ComputeHash(AuditRecord record, AuditChainKey key)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(key);
        return Keyed(CanonicalForm(record), key);
    }

    /// <summary>The hash of trails written before the chain was keyed: plain SHA-256 of the same canonical form.</summary>
    internal static string ComputeUnkeyedHash(AuditRecord record) => Unkeyed(CanonicalForm(record));

    private static string Keyed(byte[] canonical, AuditChainKey key) => Convert.ToHexStringLower(HMACSHA256.HashData(key.Bytes, canonical));

    private static string Unkeyed(byte[] canonical) => Convert.ToHexStringLower(SHA256.HashData(canonical));

    /// <summary>The UTF-8 of the record's canonical JSON: its fields in a fixed order, evidence canonical, no white space.</summary>
    private static byte[] CanonicalForm(AuditRecord record)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("sequence", record.Sequence);
            writer.WriteString("subject", record.Subject);
            writer.WriteString("at", record.At.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("actor", record.Actor);
            writer.WriteString("kind", record.Kind);
            writer.WriteString("reason", record.Reason);
            writer.WritePropertyName("evidence");
            using (var evidence = JsonDocument.Parse(record.EvidenceJson))
            {
                WriteCanonical(writer, evidence.RootElement);
            }

            writer.WriteString("previousHash", record.PreviousHash);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// The JSON with object keys sorted (ordinal) and no insignificant white space, so evidence that a store
    /// re-serializes (e.g. PostgreSQL jsonb) still hashes the same.
    /// </summary>
    internal static string CanonicalJson(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            throw new ArgumentException("Audit evidence is a JSON document; use \"{}\" when there is none.", nameof(json));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Audit evidence is not valid JSON: {e.Message}", nameof(json), e);
        }

        using (document)
        {
            var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                WriteCanonical(writer, document.RootElement);
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
