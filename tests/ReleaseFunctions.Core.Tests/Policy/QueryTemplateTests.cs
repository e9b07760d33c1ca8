using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Core.Tests.Policy;

public sealed class QueryTemplateTests
{
    private static readonly Dictionary<string, string> Hostile = new() { ["service"] = "a\"b'c\\d\n" };

    [Theory]
    [InlineData(QueryLanguage.PromQl, "x{service=\"{service}\"}", "x{service=\"a\\\"b'c\\\\d\\n\"}")]
    [InlineData(QueryLanguage.PromQl, "x{service='{service}'}", "x{service='a\"b\\'c\\\\d\\n'}")]
    [InlineData(QueryLanguage.PromQl, "x{service={service}}", "x{service=\"a\\\"b'c\\\\d\\n\"}")]
    [InlineData(QueryLanguage.Kql, "T | where s == '{service}'", "T | where s == 'a\"b\\'c\\\\d\\n'")]
    [InlineData(QueryLanguage.Kql, "T | where s == {service}", "T | where s == \"a\\\"b'c\\\\d\\n\"")]
    [InlineData(QueryLanguage.OData, "Instance eq {service}", "Instance eq 'a\"b''c\\d\n'")]
    [InlineData(QueryLanguage.OData, "Instance eq '{service}'", "Instance eq 'a\"b''c\\d\n'")]
    public void A_value_is_escaped_for_the_literal_it_lands_in_or_becomes_one(QueryLanguage language, string template, string expected) =>
        Assert.Equal(expected, QueryTemplate.Fill(template, Hostile, language));

    [Fact]
    public void Braces_that_are_not_a_placeholder_stay_and_built_ins_are_written_as_given() =>
        Assert.Equal("rate(x{code=~\"5..\"}[300s]) and {a: 1}",
            QueryTemplate.Fill("rate(x{code=~\"5..\"}[{__range}]) and {a: 1}", new Dictionary<string, string>(), QueryLanguage.PromQl, new Dictionary<string, string> { ["__range"] = "300s" }));

    [Fact]
    public void A_placeholder_without_a_value_names_it_and_what_there_is() =>
        Assert.Equal("the query uses {slot}, but it has no parameter 'slot'; it has: service. (Parameter 'parameters')",
            Assert.Throws<ArgumentException>(() => QueryTemplate.Fill("x{slot}", Hostile, QueryLanguage.Kql)).Message);

    [Fact]
    public void A_kql_verbatim_string_doubles_the_quote_and_refuses_a_line_break()
    {
        Assert.Equal("T | where s == @'it''s'", QueryTemplate.Fill("T | where s == @'{v}'", new Dictionary<string, string> { ["v"] = "it's" }, QueryLanguage.Kql));
        Assert.Throws<ArgumentException>(() => QueryTemplate.Fill("T | where s == @'{v}'", new Dictionary<string, string> { ["v"] = "a\nb" }, QueryLanguage.Kql));
    }
}
