using ReleaseFunctions.Core.Audit;

namespace ReleaseFunctions.Core.Tests.Audit;

public class AuditChainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    /// <summary>38 bytes of UTF-8.</summary>
    internal static readonly AuditChainKey Key = AuditChainKey.FromText("test audit chain key, 32 bytes or more");

    private static List<AuditRecord> Trail(int count)
    {
        var records = new List<AuditRecord>();
        for (var i = 0; i < count; i++)
        {
            records.Add(AuditChain.Append(records.LastOrDefault(), new AuditEntry("release-contoso.shop-pr42", T0.AddMinutes(i), i % 2 == 0 ? "release-workflow" : "bob", "transition", $"move {i + 1}", $$"""{"step": {{i + 1}}, "weight": 10}"""), Key));
        }

        return records;
    }

    [Fact]
    public void Records_are_sequenced_and_linked()
    {
        var trail = Trail(3);

        Assert.Equal([1L, 2L, 3L], trail.Select(r => r.Sequence));
        Assert.Equal(AuditChain.GenesisHash, trail[0].PreviousHash);
        Assert.Equal(trail[0].Hash, trail[1].PreviousHash);
        Assert.Equal(trail[1].Hash, trail[2].PreviousHash);
        Assert.Equal(new AuditVerification(true, null, "3 record(s), chain intact"), AuditChain.Verify(trail, Key));
    }

    [Fact]
    public void The_hash_is_hmac_sha256_under_the_key_of_the_documented_canonical_form()
    {
        // Computed independently: HMAC-SHA256 under the UTF-8 key "test audit chain key, 32 bytes or more" of
        // {"sequence":1,"subject":"release-x","at":"2026-11-23T10:00:00.0000000Z","actor":"gate","kind":"gate-verdict",
        //  "reason":"passed","evidence":{"a":1,"b":[true,null]},"previousHash":"000…0"} (no spaces).
        var record = AuditChain.Append(null, new AuditEntry("release-x", T0.ToOffset(TimeSpan.FromHours(2)), "gate", "gate-verdict", "passed", """{ "b": [true, null], "a": 1 }"""), Key);

        Assert.Equal("""{"a":1,"b":[true,null]}""", record.EvidenceJson);
        Assert.Equal("605cba99cd9eb55b926d31c6584820f64f8c3de9effbd766c7aad841db38d847", record.Hash);
    }

    [Fact]
    public void A_changed_record_is_found()
    {
        var trail = Trail(5);
        trail[2] = trail[2] with { Reason = "move 3 (edited)" };

        var result = AuditChain.Verify(trail, Key);

        Assert.False(result.IsIntact);
        Assert.Equal(3, result.BrokenAtSequence);
        Assert.Contains("its content was changed", result.Reason);
        Assert.Contains("does not match its hash under this app's chain key", result.Reason);
    }

    [Fact]
    public void Changed_evidence_is_found_but_re_serialized_evidence_is_not_a_change()
    {
        var trail = Trail(3);
        var reordered = trail.ToList();
        reordered[1] = reordered[1] with { EvidenceJson = """{ "weight": 10, "step": 2 }""" };
        var edited = trail.ToList();
        edited[1] = edited[1] with { EvidenceJson = """{"step":2,"weight":100}""" };

        Assert.True(AuditChain.Verify(reordered, Key).IsIntact);
        Assert.Equal(2, AuditChain.Verify(edited, Key).BrokenAtSequence);
    }

    [Fact]
    public void A_removed_record_is_found()
    {
        var trail = Trail(5);
        trail.RemoveAt(2);

        var result = AuditChain.Verify(trail, Key);

        Assert.Equal(3, result.BrokenAtSequence);
        Assert.Equal("record 3 is missing: found record 4 after 2", result.Reason);
    }

    [Fact]
    public void Reordered_records_are_found()
    {
        var trail = Trail(5);
        (trail[1], trail[2]) = (trail[2], trail[1]);

        var result = AuditChain.Verify(trail, Key);

        Assert.Equal(2, result.BrokenAtSequence);
        Assert.Contains("record 2 is missing", result.Reason);
    }

    [Fact]
    public void Reordered_and_renumbered_records_break_the_links()
    {
        var trail = Trail(4);
        var second = trail[1];
        trail[1] = trail[2] with { Sequence = 2 };
        trail[2] = second with { Sequence = 3 };

        var result = AuditChain.Verify(trail, Key);

        Assert.Equal(2, result.BrokenAtSequence);
        Assert.Contains("does not link to the hash of record 1", result.Reason);
    }

    [Fact]
    public void An_inserted_record_is_found()
    {
        var trail = Trail(4);
        var forged = AuditChain.Append(trail[1], new AuditEntry("release-contoso.shop-pr42", T0.AddMinutes(1), "mallory", "approval", "approved", "{}"), Key);
        trail.Insert(2, forged);

        var result = AuditChain.Verify(trail, Key);

        Assert.Equal(4, result.BrokenAtSequence);
        Assert.Equal("found record 3 where record 4 belongs: records are out of order or duplicated", result.Reason);
    }

    [Fact]
    public void A_trail_rewritten_whole_and_consistently_with_another_key_is_found_without_an_anchor()
    {
        var trail = Trail(4);
        var mallorysKey = AuditChainKey.FromText("mallory's own key, also 32 bytes long!");

        var rewritten = Rewrite(trail, (last, entry) => AuditChain.Append(last, entry, mallorysKey));

        Assert.True(AuditChain.Verify(rewritten, mallorysKey).IsIntact); // consistent under the key it was rewritten with…
        var result = AuditChain.Verify(rewritten, Key); // …but not under the app's
        Assert.False(result.IsIntact);
        Assert.Equal(1, result.BrokenAtSequence);
        Assert.Equal("record 1 does not match its hash under this app's chain key: its content was changed, or the trail was sealed with another key", result.Reason);
    }

    [Fact]
    public void A_trail_rewritten_whole_and_consistently_with_the_unkeyed_hash_is_found_and_said_to_be_unkeyed()
    {
        var trail = Trail(4);

        // What rewriting the whole trail took before the chain was keyed: recompute every plain SHA-256 in order.
        var rewritten = Rewrite(trail, (last, entry) =>
        {
            var record = AuditChain.Append(last, entry, Key) with { Hash = "" };
            return record with { Hash = AuditChain.ComputeUnkeyedHash(record) };
        });

        var result = AuditChain.Verify(rewritten, Key);
        Assert.False(result.IsIntact);
        Assert.Equal(1, result.BrokenAtSequence);
        Assert.Contains("sealed without the chain key", result.Reason);
    }

    [Fact]
    public void A_record_written_before_the_chain_was_keyed_does_not_verify_and_is_said_to_be_unkeyed()
    {
        // The documented record as the unkeyed chain sealed it: sha256 of its canonical form.
        var record = new AuditRecord(1, "release-x", T0, "gate", "gate-verdict", "passed", """{"a":1,"b":[true,null]}""", AuditChain.GenesisHash,
            "721cb138c64d5cfd13532776ef013065e42e5c6761a2b7d17bba032d333122ef");

        var result = AuditChain.Verify([record], Key);

        Assert.False(result.IsIntact);
        Assert.StartsWith("record 1 was sealed without the chain key (a plain SHA-256)", result.Reason);
    }

    [Fact]
    public void A_key_shorter_than_32_bytes_is_refused_and_the_key_never_shows_in_text()
    {
        var error = Assert.Throws<ArgumentException>(() => AuditChainKey.FromText("only 31 bytes of secret material"[..31]));

        Assert.Contains("31 byte(s); expected a random secret of at least 32 bytes", error.Message);
        Assert.Equal("audit chain key (38 bytes)", Key.ToString());
    }

    /// <summary>Every record again, in order, through <paramref name="seal"/>, with record 2's reason changed.</summary>
    private static List<AuditRecord> Rewrite(List<AuditRecord> trail, Func<AuditRecord?, AuditEntry, AuditRecord> seal)
    {
        var rewritten = new List<AuditRecord>();
        foreach (var record in trail)
        {
            var reason = record.Sequence == 2 ? "approved by mallory" : record.Reason;
            rewritten.Add(seal(rewritten.LastOrDefault(), new AuditEntry(record.Subject, record.At, record.Actor, record.Kind, reason, record.EvidenceJson)));
        }

        return rewritten;
    }

    [Fact]
    public void A_truncated_trail_is_found_with_an_anchor()
    {
        var trail = Trail(4);
        var anchor = new AuditAnchor(trail[^1].Sequence, trail[^1].Hash);

        var truncated = AuditChain.Verify(trail.Take(3).ToList(), Key, anchor);
        Assert.Equal(4, truncated.BrokenAtSequence);
        Assert.Contains("truncated", truncated.Reason);
        Assert.True(AuditChain.Verify(trail, Key, anchor).IsIntact);
    }

    [Fact]
    public void Bad_entries_are_refused_clearly()
    {
        var notJson = Assert.Throws<ArgumentException>(() => AuditChain.Append(null, new AuditEntry("s", T0, "a", "k", "r", "{not json"), Key));
        Assert.Contains("not valid JSON", notJson.Message);
        var first = AuditChain.Append(null, new AuditEntry("s", T0, "a", "k", "r", "{}"), Key);
        Assert.Throws<ArgumentException>(() => AuditChain.Append(first, new AuditEntry("s", T0.AddSeconds(-1), "a", "k", "r", "{}"), Key));
    }

    [Fact]
    public void Corrupt_evidence_in_storage_is_reported_not_thrown()
    {
        var trail = Trail(2);
        trail[1] = trail[1] with { EvidenceJson = "{broken" };

        Assert.Equal(2, AuditChain.Verify(trail, Key).BrokenAtSequence);
    }
}
