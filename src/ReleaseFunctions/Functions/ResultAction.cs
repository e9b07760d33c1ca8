using Microsoft.AspNetCore.Mvc;

namespace ReleaseFunctions.Functions;

/// <summary>
/// An <see cref="IResult"/> of the app's handlers as the <see cref="IActionResult"/> the worker's ASP.NET Core
/// integration executes, so a function answers exactly what the standalone endpoint answers.
/// </summary>
public sealed class ResultAction(IResult result) : IActionResult
{
    public IResult Result { get; } = result ?? throw new ArgumentNullException(nameof(result));

    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Result.ExecuteAsync(context.HttpContext);
    }
}

internal static class ResultActionExtensions
{
    public static IActionResult AsAction(this IResult result) => new ResultAction(result);

    public static async Task<IActionResult> AsActionAsync<TResult>(this Task<TResult> result)
        where TResult : IResult
        => new ResultAction(await result);
}
