namespace ReleaseFunctions.Hosting.Cron;

/// <summary>
/// An NCRONTAB expression that cannot be parsed. <see cref="Field"/> names the field (second, minute, hour,
/// day-of-month, month, day-of-week, or "expression" for problems with the whole text), <see cref="Token"/> the
/// offending text and <see cref="Expected"/> what would have been accepted; <see cref="Function"/> the timer
/// function whose schedule it is, when known.
/// </summary>
public sealed class CronFormatException : FormatException
{
    public CronFormatException(string expression, string field, string token, string expected, Exception? innerException = null)
        : this(null, expression, field, token, expected, innerException)
    {
    }

    private CronFormatException(string? function, string expression, string field, string token, string expected, Exception? innerException)
        : base(
            (function is null ? "" : $"Timer function '{function}': ") + $"Invalid NCRONTAB expression '{expression}': {field} field has '{token}'; expected {expected}.",
            innerException)
    {
        Function = function;
        Expression = expression;
        Field = field;
        Token = token;
        Expected = expected;
    }

    public string? Function { get; }

    public string Expression { get; }

    public string Field { get; }

    public string Token { get; }

    public string Expected { get; }

    /// <summary>The same error, its message starting with the timer function whose schedule it is.</summary>
    public CronFormatException ForFunction(string function) => new(function, Expression, Field, Token, Expected, InnerException);
}
