using System.Text.RegularExpressions;

namespace ReleaseFunctions.Hosting.Functions;

/// <summary>A function the standalone app runs itself, named as its Azure Functions counterpart.</summary>
public abstract partial record FunctionDeclaration
{
    protected FunctionDeclaration(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!FunctionName().IsMatch(name))
        {
            throw new ArgumentException(
                $"Function name '{name}' is not valid; expected a letter followed by up to 127 letters, digits, '_' or '-' (an Azure Functions function name).",
                nameof(name));
        }

        Name = name;
    }

    public string Name { get; }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,127}$")]
    private static partial Regex FunctionName();
}
