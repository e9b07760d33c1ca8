namespace ReleaseFunctions.Hosting.Cron;

/// <summary>
/// An NCRONTAB expression that cannot be parsed. <see cref="Field"/> names the field (second, minute, hour,
/// day-of-month, month, day-of-week, or "expression" for problems with the whole text), <see cref="Token"/> the
/// offending text and <see cref="Expected"/> what would have been accepted.
/// </summary>
public sealed class CronFormatException : FormatException
{
    public CronFormatException(string expression, string field, string token, string expected)
        : base($"Invalid NCRONTAB expression '{expression}': {field} field has '{token}'; expected {expected}.")
    {
        Expression = expression;
        Field = field;
        Token = token;
        Expected = expected;
    }

    public string Expression { get; }

    public string Field { get; }

    public string Token { get; }

    public string Expected { get; }
}
