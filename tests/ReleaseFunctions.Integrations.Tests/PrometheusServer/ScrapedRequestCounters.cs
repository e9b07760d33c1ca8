using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ReleaseFunctions.Integrations.Tests.PrometheusServer;

/// <summary>
/// A service's request counters as Prometheus scrapes them: a real Kestrel server on 127.0.0.1 (dynamic port) that
/// answers <c>GET /metrics</c> in the Prometheus text format with <c>http_requests_total{population, code}</c>.
/// The test records served requests; every scrape is counted so the test can wait for Prometheus to have seen them.
/// </summary>
public sealed class ScrapedRequestCounters : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly SortedDictionary<(string Population, int Code), long> _counts = new();
    private readonly WebApplication _app;
    private TaskCompletionSource _nextScrape = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _scrapes;

    private ScrapedRequestCounters(WebApplication app) => _app = app;

    /// <summary>Where Prometheus scrapes, as <c>host:port</c>.</summary>
    public string Target { get; private set; } = null!;

    public int Scrapes => Volatile.Read(ref _scrapes);

    public static async Task<ScrapedRequestCounters> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var counters = new ScrapedRequestCounters(app);
        app.MapGet("/metrics", counters.Exposition);
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        counters.Target = new Uri(bound).Authority;
        return counters;
    }

    /// <summary>
    /// Records requests served by one population. All codes change under one lock, so every scrape sees whole batches
    /// and the error share between any two scrapes is exactly the batches' share.
    /// </summary>
    public void Serve(string population, int ok, int failed)
    {
        lock (_gate)
        {
            Add(population, 200, ok);
            Add(population, 500, failed);
        }
    }

    /// <summary>Completes after the next scrape has been answered.</summary>
    public Task NextScrapeAsync()
    {
        lock (_gate)
        {
            return _nextScrape.Task;
        }
    }

    private void Add(string population, int code, int count)
        => _counts[(population, code)] = _counts.GetValueOrDefault((population, code)) + count;

    private IResult Exposition()
    {
        var text = new StringBuilder()
            .Append("# HELP http_requests_total Requests served, by population and status code.\n")
            .Append("# TYPE http_requests_total counter\n");
        TaskCompletionSource scraped;
        lock (_gate)
        {
            foreach (var ((population, code), count) in _counts)
            {
                text.Append(CultureInfo.InvariantCulture, $"http_requests_total{{population=\"{population}\",code=\"{code}\"}} {count}\n");
            }

            scraped = _nextScrape;
            _nextScrape = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _scrapes++;
        }

        // Signalled once the body is written, so a waiter knows this scrape carried everything recorded before it.
        return new ScrapeAnswer(text.ToString(), scraped);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class ScrapeAnswer(string body, TaskCompletionSource scraped) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await httpContext.Response.WriteAsync(body);
            await httpContext.Response.CompleteAsync();
            scraped.TrySetResult();
        }
    }
}
