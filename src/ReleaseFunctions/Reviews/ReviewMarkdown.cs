using System.Globalization;
using System.Text;
using ReleaseFunctions.Core.Ports;

namespace ReleaseFunctions.Reviews;

/// <summary>The review as people read it on the pull request or in a post-incident issue.</summary>
internal static class ReviewMarkdown
{
    public static string Render(ReleaseRecord release, ReleaseReview review)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## Post-release review: {release.Service} {release.Version}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"**Outcome:** {review.Outcome} — {review.OutcomeReason}");
        text.AppendLine(CultureInfo.InvariantCulture, $"**Lead time for this change:** {review.LeadTime:d\\.hh\\:mm} (merge to release end)");
        text.AppendLine(CultureInfo.InvariantCulture, $"**Change failure:** {(review.ChangeFailure ? "yes" : "no")}");
        text.AppendLine();
        if (review.Slis.Count > 0)
        {
            text.AppendLine("| SLI | before | after | change |");
            text.AppendLine("| --- | --- | --- | --- |");
            foreach (var sli in review.Slis)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {sli.Objective} | {Format(sli.Before)} | {Format(sli.After)} | {sli.Assessment} |");
            }

            text.AppendLine();
        }

        if (review.ErrorBudget is { } burn)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"**Error budget:** {burn.RemainingAtRelease:0.##}% left at release, {burn.RemainingNow:0.##}% now ({burn.Burned:0.##} points spent since).");
            text.AppendLine();
        }

        foreach (var note in review.Notes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"> {note}");
        }

        return text.ToString();
    }

    private static string Format(double? value) => value is null ? "—" : value.Value.ToString("G4", CultureInfo.InvariantCulture);
}
