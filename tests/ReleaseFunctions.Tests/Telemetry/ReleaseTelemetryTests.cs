using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Microsoft.Extensions.Hosting.Internal;
using ReleaseFunctions.Composition;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Telemetry;
using ReleaseFunctions.Tests.Releases;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Telemetry;

/// <summary>
/// Release telemetry from real runs of the workflow on the fake clock. Each test's release has its own service name
/// and the listeners keep only its measurements, so releases of tests running beside it do not count.
/// </summary>
public sealed class ReleaseTelemetryTests
{
    [Fact]
    public async Task A_promoted_release_is_counted_once_through_every_replay_with_its_gate_verdicts_and_step_times()
    {
        using var metrics = new Measurements();
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var request = ReleaseWorkflowHarness.Merge() with { Service = metrics.Service };
        var id = await h.StartReleaseAsync(request);

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        // The orchestrator replayed at every timer of the canary; the counters sit in activities, so one release is one count.
        Assert.True((await h.HistoryAsync(id)).Count(e => e.GetType().Name.Contains("TimerFired", StringComparison.Ordinal)) >= 3);
        Assert.Equal(1, metrics.Sum("releases.started"));
        Assert.Equal(1, metrics.Sum("releases.promoted"));
        Assert.Equal(0, metrics.Sum("releases.rolled_back"));
        var audit = await h.AuditAsync(id);
        var verdicts = audit.Where(r => r.Kind == "gate-verdict").ToList();
        Assert.Equal(verdicts.Count, metrics.Sum("releases.gate.verdicts", ("verdict", "pass")));
        Assert.True(verdicts.Count >= 3);
        Assert.All(metrics.Of("releases.gate.verdicts"), m => Assert.False(string.IsNullOrEmpty(m.Tags["gate"] as string)));

        // Step time from the fake clock: each step's traffic shift to its gate's verdict, as the audit trail records them.
        var shifts = audit.Where(r => r.Kind == "traffic-shifted").ToList();
        var steps = metrics.Of("releases.step.duration");
        Assert.Equal(verdicts.Count, steps.Count);
        Assert.Equal((verdicts[0].At - shifts[0].At).TotalSeconds, steps[0].Value);
        Assert.True(steps[0].Value >= TimeSpan.FromMinutes(1).TotalSeconds);
        Assert.Equal(1, steps[0].Tags["step"]);

        // One span per traffic change and per gate measurement, tagged with the release.
        Assert.Equal(h.Target.Applied.Count, metrics.Spans.Count(s => s.OperationName == "release.traffic-shift"));
        Assert.Equal(audit.Count(r => r.Kind == "gate-measurement"), metrics.Spans.Count(s => s.OperationName == "release.gate-measurement"));
    }

    [Fact]
    public async Task A_release_whose_gate_fails_counts_a_failed_verdict_and_one_rollback()
    {
        using var metrics = new Measurements();
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        h.Sli.Canary = (_, weight) => weight >= 25 ? 0.042 : 0.001;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge() with { Service = metrics.Service });

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, (await h.OutcomeAsync(id)).Status);
        Assert.Equal(1, metrics.Sum("releases.started"));
        Assert.Equal(1, metrics.Sum("releases.rolled_back"));
        Assert.Equal(0, metrics.Sum("releases.promoted"));
        Assert.Equal(0, metrics.Sum("releases.rollback_failed"));
        Assert.Equal(1, metrics.Sum("releases.gate.verdicts", ("verdict", "fail")));
    }

    [Theory]
    [InlineData(ReleaseTelemetryOptions.ConnectionStringSetting, "not-a-connection-string", "InstrumentationKey=<guid>")]
    [InlineData(ReleaseTelemetryOptions.ConnectionStringSetting, "InstrumentationKey=abc;IngestionEndpoint=https://x/", "InstrumentationKey=<guid>")]
    [InlineData(ReleaseTelemetryOptions.OtlpEndpointSetting, "collector:4317", "absolute http(s) URL")]
    public void A_malformed_telemetry_setting_fails_validation_naming_the_setting(string setting, string value, string expected)
    {
        var setup = Setup(new Dictionary<string, string?> { [setting] = value });

        var result = ((IValidateOptions<ReleaseTelemetryOptions>)setup).Validate(null, new ReleaseTelemetryOptions());

        Assert.True(result.Failed);
        Assert.Contains(setting, result.FailureMessage);
        Assert.Contains(expected, result.FailureMessage);
    }

    [Fact]
    public void Well_formed_settings_select_both_exporters_and_none_selects_no_export()
    {
        var key = Guid.NewGuid();
        var both = AppSettingsSetup.ReadTelemetry(Configuration(new Dictionary<string, string?>
        {
            [ReleaseTelemetryOptions.ConnectionStringSetting] = $"InstrumentationKey={key};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
            [ReleaseTelemetryOptions.OtlpEndpointSetting] = "http://127.0.0.1:4317",
        }), new HostingEnvironment());
        var none = AppSettingsSetup.ReadTelemetry(Configuration(new Dictionary<string, string?>()), new HostingEnvironment());

        Assert.Equal(new Uri("http://127.0.0.1:4317"), both.OtlpEndpoint);
        Assert.Contains(key.ToString(), both.ApplicationInsightsConnectionString);
        Assert.True(both.Exports);
        Assert.False(none.Exports);
    }

    [Fact]
    public void The_sample_settings_name_both_telemetry_settings_empty_so_nothing_is_exported()
    {
        var sample = ReleaseFunctions.Hosting.Settings.LocalSettingsFile.Load(CopyAsLocalSettings(Path.Combine(Hosting.LocalSettingsTests.FindRepositoryRoot(), "local.settings.sample.json")));

        Assert.Equal("", sample.Values[ReleaseTelemetryOptions.ConnectionStringSetting]);
        Assert.Equal("", sample.Values[ReleaseTelemetryOptions.OtlpEndpointSetting]);
        var setup = Setup(new Dictionary<string, string?>(sample.Values));
        Assert.True(((IValidateOptions<ReleaseTelemetryOptions>)setup).Validate(null, new ReleaseTelemetryOptions()).Succeeded);
        Assert.False(AppSettingsSetup.ReadTelemetry(Configuration(new Dictionary<string, string?>(sample.Values)), new HostingEnvironment()).Exports);
    }

    private static string CopyAsLocalSettings(string samplePath)
    {
        var directory = Directory.CreateTempSubdirectory("releasefunctions-telemetry-sample-").FullName;
        File.Copy(samplePath, Path.Combine(directory, ReleaseFunctions.Hosting.Settings.LocalSettingsFile.FileName));
        return directory;
    }

    [Fact]
    public void Malformed_telemetry_settings_stop_the_app_at_start_naming_each_setting()
    {
        using var app = new ReleaseAppFactory(new Dictionary<string, string?>
        {
            [ReleaseTelemetryOptions.ConnectionStringSetting] = "my-app-insights",
            [ReleaseTelemetryOptions.OtlpEndpointSetting] = "collector:4317",
        });

        // What the host runs before it starts; a failure there ends the process with these messages.
        var error = Assert.ThrowsAny<Exception>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());

        var messages = Messages(error);
        Assert.Contains(messages, m => m.StartsWith("APPLICATIONINSIGHTS_CONNECTION_STRING is not an Application Insights connection string", StringComparison.Ordinal));
        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT is 'collector:4317'; expected an absolute http(s) URL of an OpenTelemetry collector such as 'http://localhost:4317'.", messages);
    }

    [Fact]
    public void The_app_registers_the_SDK_only_when_an_exporter_is_configured()
    {
        using (var exporting = new ReleaseAppFactory(new Dictionary<string, string?> { [ReleaseTelemetryOptions.OtlpEndpointSetting] = "http://127.0.0.1:4317" }))
        {
            exporting.Services.GetRequiredService<IStartupValidator>().Validate();
            Assert.NotNull(exporting.Services.GetService<TracerProvider>());
            Assert.NotNull(exporting.Services.GetService<MeterProvider>());
        }

        using var quiet = new ReleaseAppFactory();
        quiet.Services.GetRequiredService<IStartupValidator>().Validate();
        Assert.Null(quiet.Services.GetService<TracerProvider>());
        Assert.Null(quiet.Services.GetService<MeterProvider>());
    }

    private static IReadOnlyList<string> Messages(Exception exception) => exception switch
    {
        OptionsValidationException validation => validation.Failures.ToList(),
        AggregateException aggregate => aggregate.InnerExceptions.SelectMany(Messages).ToList(),
        _ => exception.InnerException is { } inner ? Messages(inner) : [exception.Message],
    };

    private static IConfiguration Configuration(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static AppSettingsSetup Setup(Dictionary<string, string?> values) => new(Configuration(values), new HostingEnvironment());

    /// <summary>Listens to the release meter and source, keeping what belongs to one service.</summary>
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _meters = new();
        private readonly ActivityListener _spans;
        private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _values = new();
        private readonly List<Activity> _activities = new();

        public Measurements()
        {
            _meters.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ReleaseTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Keep(i, v, tags));
            _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Keep(i, v, tags));
            _meters.Start();
            _spans = new ActivityListener
            {
                ShouldListenTo = source => source.Name == ReleaseTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (Equals(activity.GetTagItem("release.service"), Service))
                    {
                        lock (_activities) { _activities.Add(activity); }
                    }
                },
            };
            ActivitySource.AddActivityListener(_spans);
        }

        public string Service { get; } = "telemetry-" + Guid.NewGuid().ToString("N")[..8];

        public IReadOnlyList<Activity> Spans
        {
            get { lock (_activities) { return _activities.ToList(); } }
        }

        public List<(double Value, Dictionary<string, object?> Tags)> Of(string instrument)
        {
            lock (_values) { return _values.Where(v => v.Instrument == instrument).Select(v => (v.Value, v.Tags)).ToList(); }
        }

        public double Sum(string instrument, (string Key, string Value)? tag = null)
            => Of(instrument).Where(m => tag is null || Equals(m.Tags.GetValueOrDefault(tag.Value.Key), tag.Value.Value)).Sum(m => m.Value);

        private void Keep(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var all = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                all[tag.Key] = tag.Value;
            }

            if (Equals(all.GetValueOrDefault("service"), Service))
            {
                lock (_values) { _values.Add((instrument.Name, value, all)); }
            }
        }

        public void Dispose()
        {
            _meters.Dispose();
            _spans.Dispose();
        }
    }
}
