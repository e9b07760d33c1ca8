namespace ReleaseFunctions.Integrations.Tests.PrometheusServer;

/// <summary>
/// One real Prometheus process and the counters it scrapes, shared by a test class. Without the binary it starts
/// nothing when the tests are skipped, and fails with the install command on CI.
/// </summary>
public sealed class PrometheusServerFixture : IAsyncLifetime
{
    private PrometheusProcess? _prometheus;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public ScrapedRequestCounters Counters { get; private set; } = null!;

    public PrometheusProcess Prometheus => _prometheus ?? throw new InvalidOperationException("Prometheus is not running.");

    public async Task InitializeAsync()
    {
        if (!PrometheusBinary.Installed)
        {
            if (PrometheusBinary.Required)
            {
                throw new InvalidOperationException(
                    $"CI=true but {PrometheusBinary.Path} is missing; .ci/run installs it with 'apt-get install -y prometheus'.");
            }

            return;
        }

        Counters = await ScrapedRequestCounters.StartAsync();
        _prometheus = await PrometheusProcess.StartAsync(Counters.Target, Http);
    }

    public async Task DisposeAsync()
    {
        if (_prometheus is not null)
        {
            await _prometheus.DisposeAsync();
        }

        if (Counters is not null)
        {
            await Counters.DisposeAsync();
        }

        Http.Dispose();
    }
}
