namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// Release policies for the workflow tests, in the format of .github/release-policy.yml. A policy names only providers the
/// parser knows, so the fakes stand in as "sandbox" (the target) and "prometheus" (the SLI source).
/// </summary>
internal static class Policies
{
    public const string Gate = """
        gate:
          provider: prometheus
          analysis: { interval: 5m, count: 1, failure_limit: 0, inconclusive_limit: 0, consecutive_error_limit: 1 }
          objectives:
            - name: error_rate
              query: error_rate
              aggregation: mean
              unit: ratio
              pass: "< 1%"
              critical: true
        """;

    public static string Canary(string extraStage = "", string extraPolicy = "", string gate = Gate) => $"""
        version: 1
        stages:
          - name: production
            target: {"{"} provider: sandbox {"}"}
            strategy:
              canary:
                steps:
                  - {"{"} weight: 5, soak: 10m {"}"}
                  - {"{"} weight: 25, soak: 10m {"}"}
                  - {"{"} weight: 50, soak: 10m {"}"}
            {Indent(gate, 4)}
            {Indent(extraStage, 4)}
        {extraPolicy}
        """;

    public const string Approvals = """
        approvals:
          - users: [alice]
            teams: [contoso/sre]
            quorum: 1
            timeout: 1h
            on_timeout: reject
        """;

    public static string BlueGreen => $"""
        version: 1
        stages:
          - name: production
            target: {"{"} provider: sandbox {"}"}
            strategy:
              blue_green:
                idle_soak: 5m
                post_swap_soak: 15m
                keep_old_slot: 2h
            {Indent(Gate, 4)}
        """;

    private static string Indent(string text, int spaces)
        => string.Join("\n", text.Split('\n').Select((line, i) => i == 0 ? line : new string(' ', spaces) + line));
}
