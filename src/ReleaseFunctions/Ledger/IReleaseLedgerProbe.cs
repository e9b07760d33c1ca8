namespace ReleaseFunctions.Ledger;

/// <summary>What readiness asks of the ledger, whichever store it is in.</summary>
internal interface IReleaseLedgerProbe
{
    /// <summary>Where the ledger is, for messages: a file path, or a Table service and table (never a secret).</summary>
    string Location { get; }

    /// <summary>A cheap read that proves the store answers and its tables are in place.</summary>
    Task CheckReachableAsync(CancellationToken cancellationToken);
}
