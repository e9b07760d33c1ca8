namespace ReleaseFunctions.Core.Ports;

/// <summary>Why a call to an outside system failed, so the workflow can decide what the failure means.</summary>
public enum IntegrationFailureKind
{
    /// <summary>401/403: credentials missing or lacking a role; the message names what is needed.</summary>
    Unauthorized,
    /// <summary>404: the resource named in settings or policy does not exist.</summary>
    NotFound,
    /// <summary>429 after the retries allowed.</summary>
    Throttled,
    /// <summary>5xx or connection failure after the retries allowed.</summary>
    Unavailable,
    /// <summary>No answer in the time allowed.</summary>
    Timeout,
    /// <summary>An answer that is not what the API documents.</summary>
    MalformedResponse,
    /// <summary>The request itself was refused as invalid (400/409/422, or a 4xx from a hook).</summary>
    Rejected,
}

/// <summary>A typed, final failure of an adapter (after its own retries). The message is for people.</summary>
public sealed class IntegrationException : Exception
{
    public IntegrationException(string system, IntegrationFailureKind kind, string message, int? statusCode = null, Exception? inner = null)
        : base($"{system}: {message}", inner)
    {
        System = system;
        Kind = kind;
        StatusCode = statusCode;
    }

    /// <summary>The outside system, e.g. "Azure Monitor Logs", "GitHub", "Prometheus".</summary>
    public string System { get; }
    public IntegrationFailureKind Kind { get; }
    public int? StatusCode { get; }
}
