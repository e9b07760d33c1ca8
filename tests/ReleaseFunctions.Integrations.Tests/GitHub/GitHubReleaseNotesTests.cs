using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.ReleaseNotes;
using ReleaseFunctions.Integrations.Tests.Support;
using static ReleaseFunctions.Integrations.Tests.GitHub.GitHubClientTestKit;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

/// <summary>What release notes and versions read from and make on a fake api.github.com: compare, pull requests, tags, releases.</summary>
public sealed class GitHubReleaseNotesTests
{
    private const string Base = "1111111111111111111111111111111111111111";
    private const string Head = "9f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6";
    private const string Other = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";
    private const string ComparePath = "/repos/Contoso/checkout-api/compare/" + Base + @"\.\.\." + Head;
    private const string PullsPath = "/repos/Contoso/checkout-api/commits/(?<sha>[0-9a-f]{40})/pulls";
    private const string TagRefPath = "/repos/Contoso/checkout-api/git/ref/tags/v0.2.0";
    private const string RefsPath = "/repos/Contoso/checkout-api/git/refs";
    private const string ReleaseByTagPath = "/repos/Contoso/checkout-api/releases/tags/v0.2.0";
    private const string ReleasesPath = "/repos/Contoso/checkout-api/releases";

    private static string Sha(int i) => i.ToString("x40", CultureInfo.InvariantCulture);

    private static JsonObject Commit(string sha, params string[] parents) => new()
    {
        ["sha"] = sha,
        ["commit"] = new JsonObject { ["message"] = $"commit {sha[..7]}" },
        ["parents"] = new JsonArray([.. parents.Select(p => (JsonNode)new JsonObject { ["sha"] = p })]),
    };

    private static string ComparePage(int total, IEnumerable<JsonObject> commits) =>
        new JsonObject { ["status"] = "ahead", ["ahead_by"] = total, ["behind_by"] = 0, ["total_commits"] = total, ["commits"] = new JsonArray([.. commits]) }.ToJsonString();

    private static JsonObject Pull(int number, string title, string author, string? mergeCommit, string[] labels, bool merged = true) => new()
    {
        ["number"] = number,
        ["title"] = title,
        ["state"] = merged ? "closed" : "open",
        ["user"] = new JsonObject { ["login"] = author },
        ["labels"] = new JsonArray([.. labels.Select(l => (JsonNode)new JsonObject { ["id"] = 1, ["name"] = l, ["color"] = "ededed" })]),
        ["merged_at"] = merged ? "2026-11-23T09:30:00Z" : null,
        ["merge_commit_sha"] = mergeCommit,
        ["base"] = new JsonObject { ["ref"] = "main" },
    };

    private static string Pulls(params JsonObject[] pulls) => new JsonArray([.. pulls]).ToJsonString();

    private static string Ref(string tag, string type, string sha) =>
        new JsonObject { ["ref"] = $"refs/tags/{tag}", ["node_id"] = "REF_x", ["object"] = new JsonObject { ["type"] = type, ["sha"] = sha } }.ToJsonString();

    [Fact]
    public async Task The_comparison_is_read_page_by_page_and_each_commit_is_asked_for_its_pull_requests()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        // 101 commits in a line from the base to the head: the page of 100, then the last one.
        var line = Enumerable.Range(1, 100).Select(Sha).Append(Head).ToArray();
        var commits = line.Select((sha, i) => Commit(sha, i == 0 ? Base : line[i - 1])).ToArray();
        server.On("GET", ComparePath, r => FakeResponse.Ok(r.Query("page") == "1" ? ComparePage(101, commits[..100]) : ComparePage(101, commits[100..])))
              .On("GET", PullsPath, r => FakeResponse.Ok(Path.GetFileName(Path.GetDirectoryName(r.Path)) switch
              {
                  var sha when sha == Sha(40) => Pulls(Pull(11, "Cheaper shipping", "erin", Sha(40), ["feature"])),
                  Head => Pulls(Pull(12, "Faster checkout", "carol", Head, ["bug", "Minor"])),
                  _ => "[]",
              }));
        using var client = TokenClient(server, Clock());

        var merged = await client.ListPullRequestsMergedBetweenAsync(Repo, Base, Head, null, default);

        Assert.Equal([(11, "Cheaper shipping", "erin", "feature"), (12, "Faster checkout", "carol", "bug,Minor")],
            merged.Select(m => (m.Number, m.Title, m.Author, string.Join(',', m.Labels))));
        var pages = server.RequestsTo("GET", ComparePath);
        Assert.Equal(["1", "2"], pages.Select(p => p.Query("page")));
        Assert.All(pages, p => Assert.Equal("100", p.Query("per_page")));
        Assert.Equal(101, server.RequestsTo("GET", PullsPath).Count);
    }

    [Fact]
    public async Task Only_the_first_parent_line_is_asked_and_only_pull_requests_merged_in_the_range_count()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        // base <- squash(#21) <- [branch b1 <- b2] merged by m(#22) <- head (#23, rebased: its two commits r1, head)
        string squash = Sha(1), b1 = Sha(2), b2 = Sha(3), merge = Sha(4), r1 = Sha(5);
        server.On("GET", ComparePath, _ => FakeResponse.Ok(ComparePage(6,
                  [Commit(squash, Base), Commit(b1, Base), Commit(b2, b1), Commit(merge, squash, b2), Commit(r1, merge), Commit(Head, r1)])))
              .On("GET", PullsPath, r => FakeResponse.Ok(Path.GetFileName(Path.GetDirectoryName(r.Path)) switch
              {
                  var sha when sha == squash => Pulls(Pull(21, "Squashed", "ann", squash, ["fix"]),
                      // Open, and merged into another branch (a backport): neither is part of this range.
                      Pull(30, "Still open", "bo", null, [], merged: false), Pull(31, "Backport to release/1.x", "bo", Other, ["major"])),
                  var sha when sha == merge => Pulls(Pull(22, "Merged branch", "cy", merge, [])),
                  var sha when sha == r1 => Pulls(Pull(23, "Rebased", "di", Head, ["feature"])),
                  Head => Pulls(Pull(23, "Rebased", "di", Head, ["feature"])),
                  _ => throw new InvalidOperationException($"{r.Path} is not on the first-parent line"),
              }));
        using var client = TokenClient(server, Clock());

        var merged = await client.ListPullRequestsMergedBetweenAsync(Repo, Base, Head, null, default);

        Assert.Equal([21, 22, 23], merged.Select(m => m.Number));
        Assert.Equal(4, server.RequestsTo("GET", PullsPath).Count); // b1 and b2 came in with #22's merge commit
    }

    [Fact]
    public async Task A_head_at_or_behind_the_base_merged_nothing()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", ComparePath, _ => FakeResponse.Ok("""{"status":"identical","ahead_by":0,"behind_by":0,"total_commits":0,"commits":[]}"""));
        using var client = TokenClient(server, Clock());

        Assert.Empty(await client.ListPullRequestsMergedBetweenAsync(Repo, Base, Head, null, default));
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_comparison_GitHub_cannot_make_says_which_commits_it_lacks()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.ListPullRequestsMergedBetweenAsync(Repo, Base, Head, null, default));

        Assert.Equal((IntegrationFailureKind.NotFound, 404), (e.Kind, e.StatusCode));
        Assert.Contains($"answered 404 Not Found: Contoso/checkout-api does not have both the previous version's commit {Base[..12]} and this release's {Head[..12]}", e.Message);
    }

    [Fact]
    public async Task A_range_too_long_to_read_whole_is_refused_rather_than_read_in_part()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var full = ComparePage(5000, Enumerable.Range(1, 100).Select(i => Commit(Sha(i), Sha(i - 1))));
        server.On("GET", ComparePath, _ => FakeResponse.Ok(full));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.ListPullRequestsMergedBetweenAsync(Repo, Base, Head, null, default));

        Assert.Contains("still had more commits after 10 pages of 100 (5000 in all); release notes read the range whole or not at all", e.Message);
        Assert.Equal(10, server.RequestsTo("GET", ComparePath).Count);
        Assert.Empty(server.RequestsTo("GET", PullsPath));
    }

    [Fact]
    public async Task A_missing_tag_is_made_on_the_merge_commit()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", RefsPath, r => FakeResponse.Created(Ref("v0.2.0", "commit", Head)));
        using var client = TokenClient(server, Clock());

        var outcome = await client.EnsureTagAsync(Repo, "v0.2.0", Head, null, default);

        Assert.Equal(new TagOutcome("v0.2.0", Head, TagState.Created), outcome);
        var created = JsonNode.Parse(Assert.Single(server.RequestsTo("POST", RefsPath)).Body)!;
        Assert.Equal(("refs/tags/v0.2.0", Head), (created["ref"]!.GetValue<string>(), created["sha"]!.GetValue<string>()));
        Assert.Single(server.RequestsTo("GET", TagRefPath)); // looked for first
    }

    [Fact]
    public async Task An_existing_tag_on_the_same_commit_is_reused_and_one_on_another_commit_is_never_moved()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", TagRefPath, _ => FakeResponse.Ok(Ref("v0.2.0", "commit", Head)))
              .On("GET", "/repos/Contoso/checkout-api/git/ref/tags/v0.3.0", _ => FakeResponse.Ok(Ref("v0.3.0", "commit", Other)));
        using var client = TokenClient(server, Clock());

        Assert.Equal(new TagOutcome("v0.2.0", Head, TagState.Existed), await client.EnsureTagAsync(Repo, "v0.2.0", Head.ToUpperInvariant(), null, default));
        Assert.Equal(new TagOutcome("v0.3.0", Other, TagState.OnAnotherCommit), await client.EnsureTagAsync(Repo, "v0.3.0", Head, null, default));
        Assert.Empty(server.RequestsTo("POST", RefsPath));
        Assert.Empty(server.RequestsTo("PATCH", ".*"));
    }

    [Fact]
    public async Task An_annotated_tag_is_followed_to_the_commit_it_tags()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        const string tagObject = "7777777777777777777777777777777777777777";
        server.On("GET", TagRefPath, _ => FakeResponse.Ok(Ref("v0.2.0", "tag", tagObject)))
              .On("GET", "/repos/Contoso/checkout-api/git/tags/" + tagObject, _ => FakeResponse.Ok(
                  $$$"""{"sha":"{{{tagObject}}}","tag":"v0.2.0","message":"by hand","object":{"type":"commit","sha":"{{{Head}}}"}}"""));
        using var client = TokenClient(server, Clock());

        Assert.Equal(Head, await client.FindTagCommitAsync(Repo, "v0.2.0", null, default));
        Assert.Equal(TagState.Existed, (await client.EnsureTagAsync(Repo, "v0.2.0", Head, null, default)).State);
    }

    [Fact]
    public async Task A_tag_made_between_the_look_and_the_create_is_read_again_instead_of_failing()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var made = false;
        server.On("GET", TagRefPath, _ => made ? FakeResponse.Ok(Ref("v0.2.0", "commit", Head)) : new FakeResponse(404, """{"message":"Not Found"}"""))
              .On("POST", RefsPath, _ =>
              {
                  made = true;
                  return new FakeResponse(422, """{"message":"Reference already exists","documentation_url":"https://docs.github.com/rest/git/refs#create-a-reference","status":"422"}""");
              });
        using var client = TokenClient(server, Clock());

        Assert.Equal(TagState.Existed, (await client.EnsureTagAsync(Repo, "v0.2.0", Head, null, default)).State);
        Assert.Equal(2, server.RequestsTo("GET", TagRefPath).Count);
    }

    [Fact]
    public async Task A_refused_tag_says_what_GitHub_answered()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", RefsPath, _ => new FakeResponse(403, """{"message":"Resource not accessible by integration"}"""));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.EnsureTagAsync(Repo, "v0.2.0", Head, null, default));

        Assert.Equal(IntegrationFailureKind.Unauthorized, e.Kind);
        Assert.Contains("POST /repos/Contoso/checkout-api/git/refs answered 403 Forbidden: \"Resource not accessible by integration\"; check the token or the App's permissions", e.Message);
    }

    [Fact]
    public async Task A_release_is_published_on_the_tag_with_the_notes()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", ReleasesPath, _ => FakeResponse.Created(
            """{"id":501,"tag_name":"v0.2.0","name":"v0.2.0","html_url":"https://github.com/Contoso/checkout-api/releases/tag/v0.2.0","draft":false,"prerelease":false}"""));
        using var client = TokenClient(server, Clock());

        var release = await client.EnsureReleaseAsync(Repo, "v0.2.0", "v0.2.0", "### Features\n\n- #12 Faster checkout (@carol)\n", Head, prerelease: false, null, default);

        Assert.Equal(new PublishedRelease("v0.2.0", 501, "https://github.com/Contoso/checkout-api/releases/tag/v0.2.0", Created: true), release);
        var body = JsonNode.Parse(Assert.Single(server.RequestsTo("POST", ReleasesPath)).Body)!;
        Assert.Equal("v0.2.0", body["tag_name"]!.GetValue<string>());
        Assert.Equal(Head, body["target_commitish"]!.GetValue<string>());
        Assert.Equal("v0.2.0", body["name"]!.GetValue<string>());
        Assert.Equal("### Features\n\n- #12 Faster checkout (@carol)\n", body["body"]!.GetValue<string>());
        Assert.False(body["draft"]!.GetValue<bool>());
        Assert.False(body["prerelease"]!.GetValue<bool>());
        Assert.Single(server.RequestsTo("GET", ReleaseByTagPath)); // looked for first
    }

    [Fact]
    public async Task An_existing_release_on_the_tag_is_reused_as_it_is()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", ReleaseByTagPath, _ => FakeResponse.Ok("""{"id":499,"tag_name":"v0.2.0","name":"By hand","html_url":"https://github.com/Contoso/checkout-api/releases/tag/v0.2.0"}"""));
        using var client = TokenClient(server, Clock());

        var release = await client.EnsureReleaseAsync(Repo, "v0.2.0", "v0.2.0", "notes", Head, false, null, default);

        Assert.Equal((499, false), (release.Id, release.Created));
        Assert.Empty(server.RequestsTo("POST", ReleasesPath));
    }

    [Fact]
    public async Task A_release_published_between_the_look_and_the_create_is_read_again()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        var made = false;
        server.On("GET", ReleaseByTagPath, _ => made ? FakeResponse.Ok("""{"id":502,"tag_name":"v0.2.0","html_url":"https://github.com/x"}""") : new FakeResponse(404, """{"message":"Not Found"}"""))
              .On("POST", ReleasesPath, _ =>
              {
                  made = true;
                  return new FakeResponse(422, """{"message":"Validation Failed","errors":[{"resource":"Release","code":"already_exists","field":"tag_name"}]}""");
              });
        using var client = TokenClient(server, Clock());

        var release = await client.EnsureReleaseAsync(Repo, "v0.2.0", "v0.2.0", "notes", Head, false, null, default);

        Assert.Equal((502, false), (release.Id, release.Created));
    }

    [Fact]
    public async Task A_release_GitHub_keeps_failing_is_an_error_after_the_retries()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", ReleasesPath, _ => new FakeResponse(502, """{"message":"Server Error"}"""));
        using var client = TokenClient(server, Clock(), o => o.MaxRetryAttempts = 2);

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.EnsureReleaseAsync(Repo, "v0.2.0", "v0.2.0", "notes", Head, false, null, default));

        Assert.Equal(IntegrationFailureKind.Unavailable, e.Kind);
        Assert.Contains("POST /repos/Contoso/checkout-api/releases answered 502 Bad Gateway", e.Message);
        Assert.Equal(3, server.RequestsTo("POST", ReleasesPath).Count);
    }

    [Fact]
    public async Task A_release_answer_without_its_id_is_malformed()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("POST", ReleasesPath, _ => FakeResponse.Created("""{"tag_name":"v0.2.0"}"""));
        using var client = TokenClient(server, Clock());

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.EnsureReleaseAsync(Repo, "v0.2.0", "v0.2.0", "notes", Head, false, null, default));

        Assert.Equal(IntegrationFailureKind.MalformedResponse, e.Kind);
        Assert.Contains("a release without the documented 'id'", e.Message);
    }

    [Fact]
    public async Task The_latest_version_is_the_highest_tag_of_the_prefix_not_on_the_commit_being_released()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        const string annotated = "7777777777777777777777777777777777777777";
        server.On("GET", "/repos/Contoso/checkout-api/git/matching-refs/tags/v", _ => FakeResponse.Ok($"[{string.Join(',',
                  Ref("v0.9.0", "commit", Sha(9)), Ref("v1.10.0", "tag", annotated), Ref("v1.9.0", "commit", Sha(19)), Ref("vnext", "commit", Sha(1)),
                  Ref("v2.0.0", "commit", Head), Ref("v3.0.0-rc.1+ci.4", "commit", Sha(3)))}]"))
              .On("GET", "/repos/Contoso/checkout-api/git/tags/" + annotated, _ => FakeResponse.Ok($$$"""{"tag":"v1.10.0","object":{"type":"commit","sha":"{{{Sha(110)}}}"}}"""));
        using var client = TokenClient(server, Clock());

        var latest = await client.FindLatestVersionTagAsync(Repo, "v", Head, null, default);

        // v2.0.0 is on the commit being released (an earlier attempt of this release made it); metadata tags name no release.
        Assert.Equal(new PreviousVersion(SemanticVersion.Parse("1.10.0"), Sha(110), "tag v1.10.0 in Contoso/checkout-api"), latest);
        Assert.Equal("100", Assert.Single(server.RequestsTo("GET", "/repos/Contoso/checkout-api/git/matching-refs/tags/v")).Query("per_page"));
    }

    [Theory]
    [InlineData(200, "[]")]
    [InlineData(404, """{"message":"Not Found"}""")] // GitHub Enterprise Server answers 404 when nothing matches
    public async Task No_tag_of_the_prefix_is_no_previous_version(int status, string body)
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", "/repos/Contoso/checkout-api/git/matching-refs/tags/checkout/v", _ => new FakeResponse(status, body));
        using var client = TokenClient(server, Clock());

        Assert.Null(await client.FindLatestVersionTagAsync(Repo, "checkout/v", Head, null, default));
    }

    [Fact]
    public async Task Without_a_prefix_every_tag_is_looked_at()
    {
        await using var server = await FakeGitHubServer.StartAsync();
        server.On("GET", "/repos/Contoso/checkout-api/git/matching-refs/tags", _ => FakeResponse.Ok($"[{Ref("1.2.3", "commit", Sha(5))},{Ref("v9.0.0", "commit", Sha(6))}]"));
        using var client = TokenClient(server, Clock());

        Assert.Equal("1.2.3", (await client.FindLatestVersionTagAsync(Repo, "", Head, null, default))!.Version.ToString());
        Assert.Matches(new Regex("/git/matching-refs/tags$"), Assert.Single(server.Requests).Path);
    }
}
