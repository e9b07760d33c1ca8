using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ReleaseFunctions.Core.Audit;

/// <summary>
/// Builds and verifies the hash chain of the audit trail. Sequences start at 1; the first record links to
/// <see cref="GenesisHash"/>. A chain without a secret can be recomputed end to end by whoever can rewrite all of
/// it, so <see cref="Verify"/> also checks an <see cref="AuditAnchor"/> kept elsewhere when one is given.
/// </summary>
public static class AuditChain
{
    /// <summary>The previous hash of record 1.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>Seals <paramref name="entry"/> as the record after <paramref name="last"/> (null for the first record).</summary>
    public static AuditRecord Append(AuditRecord? last, AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
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
        return unsealed with { Hash = ComputeHash(unsealed) };
    }

    /// <summary>
    /// Verifies the trail from record 1: sequences consecutive, each record linked to its predecessor's hash, each
    /// hash matching the record's content, and the anchor (if given) matching. Reports the first break.
    /// </summary>
    public static AuditVerification Verify(IReadOnlyList<AuditRecord> records, AuditAnchor? anchor = null)
    {
        ArgumentNullException.ThrowIfNull(records);
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

            string recomputed;
            try
            {
                recomputed = ComputeHash(record);
            }
            catch (JsonException)
            {
                return AuditVerification.Broken(expected, $"record {expected} holds evidence that is not valid JSON");
            }

            if (!string.Equals(record.Hash, recomputed, StringComparison.Ordinal))
            {
                return AuditVerification.Broken(expected, $"record {expected} does not match its hash: its content was changed");
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

    /// <summary>SHA-256 (lower-case hex) of the canonical serialization of everything but <see cref="AuditRecord.Hash"/>.</summary>
    public static string ComputeHash(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
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

        return Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
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
