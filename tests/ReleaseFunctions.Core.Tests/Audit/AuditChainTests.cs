using ReleaseFunctions.Core.Audit;

namespace ReleaseFunctions.Core.Tests.Audit;

public class AuditChainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static List<AuditRecord> Trail(int count)
    {
        var records = new List<AuditRecord>();
        for (var i = 0; i < count; i++)
        {
            records.Add(AuditChain.Append(records.LastOrDefault(),
                new AuditEntry("release-contoso.shop-pr42", T0.AddMinutes(i), i % 2 == 0 ? "release-workflow" : "bob", "transition", $"move {i + 1}", $$"""{"step": {{i + 1}}, "weight": 10}""")));
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
        Assert.Equal(new AuditVerification(true, null, "3 record(s), chain intact"), AuditChain.Verify(trail));
    }

    [Fact]
    public void The_hash_is_sha256_of_the_documented_canonical_form()
    {
        // Computed independently: sha256 of
        // {"sequence":1,"subject":"release-x","at":"2026-11-23T10:00:00.0000000Z","actor":"gate","kind":"gate-verdict",
        //  "reason":"passed","evidence":{"a":1,"b":[true,null]},"previousHash":"000…0"} (no spaces).
        var record = AuditChain.Append(null, new AuditEntry("release-x", T0.ToOffset(TimeSpan.FromHours(2)), "gate", "gate-verdict", "passed", """{ "b": [true, null], "a": 1 }"""));

        Assert.Equal("""{"a":1,"b":[true,null]}""", record.EvidenceJson);
        Assert.Equal("721cb138c64d5cfd13532776ef013065e42e5c6761a2b7d17bba032d333122ef", record.Hash);
    }

    [Fact]
    public void A_changed_record_is_found()
    {
        var trail = Trail(5);
        trail[2] = trail[2] with { Reason = "move 3 (edited)" };

        var result = AuditChain.Verify(trail);

        Assert.False(result.IsIntact);
        Assert.Equal(3, result.BrokenAtSequence);
        Assert.Contains("its content was changed", result.Reason);
    }

    [Fact]
    public void Changed_evidence_is_found_but_re_serialized_evidence_is_not_a_change()
    {
        var trail = Trail(3);
        var reordered = trail.ToList();
        reordered[1] = reordered[1] with { EvidenceJson = """{ "weight": 10, "step": 2 }""" };
        var edited = trail.ToList();
        edited[1] = edited[1] with { EvidenceJson = """{"step":2,"weight":100}""" };

        Assert.True(AuditChain.Verify(reordered).IsIntact);
        Assert.Equal(2, AuditChain.Verify(edited).BrokenAtSequence);
    }

    [Fact]
    public void A_removed_record_is_found()
    {
        var trail = Trail(5);
        trail.RemoveAt(2);

        var result = AuditChain.Verify(trail);

        Assert.Equal(3, result.BrokenAtSequence);
        Assert.Equal("record 3 is missing: found record 4 after 2", result.Reason);
    }

    [Fact]
    public void Reordered_records_are_found()
    {
        var trail = Trail(5);
        (trail[1], trail[2]) = (trail[2], trail[1]);

        var result = AuditChain.Verify(trail);

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

        var result = AuditChain.Verify(trail);

        Assert.Equal(2, result.BrokenAtSequence);
        Assert.Contains("does not link to the hash of record 1", result.Reason);
    }

    [Fact]
    public void An_inserted_record_is_found()
    {
        var trail = Trail(4);
        var forged = AuditChain.Append(trail[1], new AuditEntry("release-contoso.shop-pr42", T0.AddMinutes(1), "mallory", "approval", "approved", "{}"));
        trail.Insert(2, forged);

        var result = AuditChain.Verify(trail);

        Assert.Equal(4, result.BrokenAtSequence);
        Assert.Equal("found record 3 where record 4 belongs: records are out of order or duplicated", result.Reason);
    }

    [Fact]
    public void A_rewritten_or_truncated_trail_is_found_with_an_anchor()
    {
        var trail = Trail(4);
        var anchor = new AuditAnchor(trail[^1].Sequence, trail[^1].Hash);
        var rewritten = new List<AuditRecord>();
        foreach (var record in trail)
        {
            var reason = record.Sequence == 2 ? "approved by mallory" : record.Reason;
            rewritten.Add(AuditChain.Append(rewritten.LastOrDefault(), new AuditEntry(record.Subject, record.At, record.Actor, record.Kind, reason, record.EvidenceJson)));
        }

        Assert.True(AuditChain.Verify(rewritten).IsIntact); // consistent on its own…
        Assert.Equal(4, AuditChain.Verify(rewritten, anchor).BrokenAtSequence); // …but not with the anchored head
        var truncated = AuditChain.Verify(trail.Take(3).ToList(), anchor);
        Assert.Equal(4, truncated.BrokenAtSequence);
        Assert.Contains("truncated", truncated.Reason);
        Assert.True(AuditChain.Verify(trail, anchor).IsIntact);
    }

    [Fact]
    public void Bad_entries_are_refused_clearly()
    {
        var notJson = Assert.Throws<ArgumentException>(() => AuditChain.Append(null, new AuditEntry("s", T0, "a", "k", "r", "{not json")));
        Assert.Contains("not valid JSON", notJson.Message);
        var first = AuditChain.Append(null, new AuditEntry("s", T0, "a", "k", "r", "{}"));
        Assert.Throws<ArgumentException>(() => AuditChain.Append(first, new AuditEntry("s", T0.AddSeconds(-1), "a", "k", "r", "{}")));
    }

    [Fact]
    public void Corrupt_evidence_in_storage_is_reported_not_thrown()
    {
        var trail = Trail(2);
        trail[1] = trail[1] with { EvidenceJson = "{broken" };

        Assert.Equal(2, AuditChain.Verify(trail).BrokenAtSequence);
    }
}
