using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Integrations.GitHub.Webhooks;

namespace ReleaseFunctions.Integrations.Tests.GitHub;

public sealed class ReleaseCommandParserTests
{
    [Theory]
    [InlineData("/approve", ReleaseCommandKind.Approve)]
    [InlineData("/reject", ReleaseCommandKind.Reject)]
    [InlineData("/promote", ReleaseCommandKind.Promote)]
    [InlineData("/pause", ReleaseCommandKind.Pause)]
    [InlineData("/resume", ReleaseCommandKind.Resume)]
    [InlineData("/rollback", ReleaseCommandKind.Rollback)]
    [InlineData("/abort", ReleaseCommandKind.Abort)]
    [InlineData("/status", ReleaseCommandKind.Status)]
    [InlineData("/APPROVE", ReleaseCommandKind.Approve)]
    [InlineData("/RollBack", ReleaseCommandKind.Rollback)]
    [InlineData("   /pause", ReleaseCommandKind.Pause)]
    [InlineData("\t/resume\r\n", ReleaseCommandKind.Resume)]
    public void Reads_each_command_word_in_any_case(string body, ReleaseCommandKind expected)
    {
        var parsed = ReleaseCommandParser.Parse(body);
        Assert.Equal(new ParsedReleaseCommand(expected, null), parsed);
    }

    [Fact]
    public void Text_after_the_command_is_its_comment()
    {
        var parsed = ReleaseCommandParser.Parse("/reject   p99 doubled in eu-west \n more thoughts");
        Assert.Equal(new ParsedReleaseCommand(ReleaseCommandKind.Reject, "p99 doubled in eu-west"), parsed);
    }

    [Fact]
    public void A_command_further_down_the_comment_counts()
    {
        var parsed = ReleaseCommandParser.Parse("Looked at the dashboards.\r\n\r\n  /promote go ahead");
        Assert.Equal(new ParsedReleaseCommand(ReleaseCommandKind.Promote, "go ahead"), parsed);
    }

    [Fact]
    public void The_first_command_wins()
    {
        var parsed = ReleaseCommandParser.Parse("/pause wait for the DB team\n/abort\n/approve");
        Assert.Equal(new ParsedReleaseCommand(ReleaseCommandKind.Pause, "wait for the DB team"), parsed);
    }

    [Theory]
    [InlineData("```\n/approve\n```")]
    [InlineData("~~~sh\n/approve\n~~~")]
    [InlineData("  ````\n/approve\n```\n/approve\n````")]
    [InlineData("```\n/approve")]
    public void Commands_inside_fenced_code_are_ignored(string body)
    {
        Assert.Null(ReleaseCommandParser.Parse(body));
    }

    [Fact]
    public void A_command_after_a_closed_fence_counts()
    {
        var parsed = ReleaseCommandParser.Parse("```yaml\n/rollback\n```\n/status");
        Assert.Equal(new ParsedReleaseCommand(ReleaseCommandKind.Status, null), parsed);
    }

    [Theory]
    [InlineData("> /approve")]
    [InlineData(">/approve")]
    [InlineData("  > > /approve looks good")]
    public void Quoted_reply_lines_are_ignored(string body)
    {
        Assert.Null(ReleaseCommandParser.Parse(body));
    }

    [Fact]
    public void Quoting_someone_then_commanding_takes_the_own_command()
    {
        var parsed = ReleaseCommandParser.Parse("> /approve\n\n/reject not yet");
        Assert.Equal(new ParsedReleaseCommand(ReleaseCommandKind.Reject, "not yet"), parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("LGTM")]
    [InlineData("please /approve this")]
    [InlineData("`/approve`")]
    [InlineData("/approved")]
    [InlineData("/approve-now")]
    [InlineData("/deploy now")]
    [InlineData("/")]
    [InlineData("//approve")]
    public void Anything_else_is_not_a_command(string? body)
    {
        Assert.Null(ReleaseCommandParser.Parse(body));
    }

    [Fact]
    public void An_unknown_word_before_a_real_command_is_skipped()
    {
        var parsed = ReleaseCommandParser.Parse("/cc @mona\n/approve");
        Assert.Equal(new ParsedReleaseCommand(ReleaseCommandKind.Approve, null), parsed);
    }
}
