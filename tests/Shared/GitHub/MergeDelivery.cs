using System.Globalization;
using System.Text.Json.Nodes;

namespace ReleaseFunctions.Testing;

/// <summary>
/// A complete <c>pull_request</c> closed-and-merged delivery into <c>main</c>, as GitHub sends it: the recorded
/// fixture <c>GitHub/Payloads/pull_request.closed.merged.json</c> (linked next to the test or bench binary) with the
/// merge's own values. GitHub sends every field Octokit.Webhooks' event types require, so a hand-trimmed payload would
/// be refused.
/// </summary>
internal static class MergeDelivery
{
    private static readonly Lazy<string> Template = new(() =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "GitHub", "Payloads", "pull_request.closed.merged.json")));

    public static string Json(string repository, int pullRequest, string mergeCommitSha, DateTimeOffset mergedAt, string title, string author, string headRef)
    {
        var (owner, name) = (repository.Split('/')[0], repository.Split('/')[1]);
        var merged = mergedAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var root = JsonNode.Parse(Template.Value)!.AsObject();
        root["number"] = pullRequest;
        var pr = root["pull_request"]!;
        pr["number"] = pullRequest;
        pr["title"] = title;
        pr["merged_at"] = merged;
        pr["closed_at"] = merged;
        pr["merge_commit_sha"] = mergeCommitSha;
        pr["user"]!["login"] = author;
        pr["merged_by"]!["login"] = "merger";
        pr["head"]!["ref"] = headRef;
        pr["head"]!["label"] = $"{author}:{headRef}";
        pr["head"]!["sha"] = mergeCommitSha;
        pr["base"]!["sha"] = mergeCommitSha;
        pr["labels"] = new JsonArray();
        foreach (var repo in new[] { root["repository"]!, pr["head"]!["repo"]!, pr["base"]!["repo"]! })
        {
            repo["name"] = name;
            repo["full_name"] = repository;
            repo["owner"]!["login"] = owner;
        }

        root["sender"]!["login"] = "merger";
        // A repository webhook's delivery: no App installation, no organization.
        root.Remove("installation");
        root.Remove("organization");
        return root.ToJsonString();
    }
}
