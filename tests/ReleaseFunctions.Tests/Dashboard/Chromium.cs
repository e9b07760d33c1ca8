using System.Collections.ObjectModel;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace ReleaseFunctions.Tests.Dashboard;

/// <summary>
/// Debian's headless Chromium driven through chromedriver, with a fresh profile. Missing Chromium is a failure, never a
/// skip: the dashboard is only tested in a real browser (CI installs it; see .ci/run).
/// </summary>
public sealed class Chromium : IDisposable
{
    public const string BrowserPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    private readonly DirectoryInfo _profile;

    public Chromium()
    {
        if (!File.Exists(BrowserPath) || !File.Exists(DriverPath))
        {
            var ci = Environment.GetEnvironmentVariable("CI") == "true" ? " (CI=true: the dashboard tests need it)" : string.Empty;
            throw new InvalidOperationException(
                $"Chromium is missing{ci}: expected {BrowserPath} and {DriverPath}; install them with 'apt-get install -y chromium chromium-driver' (.ci/run does).");
        }

        _profile = Directory.CreateTempSubdirectory("releasefunctions-chromium-");
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            $"--user-data-dir={_profile.FullName}", "--window-size=1280,1000");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        Driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(10);
    }

    public ChromeDriver Driver { get; }

    /// <summary>A fresh start for the next test: no operator key in this tab, the default window size.</summary>
    public void Reset(Uri app)
    {
        Driver.Manage().Window.Size = new System.Drawing.Size(1280, 1000);
        Driver.Navigate().GoToUrl(app);
        Driver.ExecuteScript("sessionStorage.clear();");
        // The previous test's page kept polling an app that has stopped since: its failed calls are not this test's.
        Driver.Manage().Logs.GetLog(LogType.Browser);
    }

    /// <summary>
    /// Sets the clock of the pages loaded from now on (until disposed) to <paramref name="now"/> at their load, running on
    /// from there, so a page that reads its own clock (the DORA periods end at the browser's next UTC midnight) agrees
    /// with the app's fake clock instead of reading today's date.
    /// </summary>
    public IDisposable PinClock(DateTimeOffset now)
    {
        var script = "(() => { const RealDate = Date; const offset = " + now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + " - RealDate.now();"
            + " class PinnedDate extends RealDate { constructor(...args) { super(...(args.length ? args : [RealDate.now() + offset])); } static now() { return RealDate.now() + offset; } }"
            + " globalThis.Date = PinnedDate; })();";
        var added = (Dictionary<string, object>)Driver.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["source"] = script })!;
        return new Unpin(Driver, added["identifier"]);
    }

    private sealed class Unpin(ChromeDriver driver, object identifier) : IDisposable
    {
        public void Dispose() => driver.ExecuteCdpCommand("Page.removeScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["identifier"] = identifier });
    }

    public void Open(Uri app, string hash) => Driver.Navigate().GoToUrl(new Uri(app, $"/?refresh=1{hash}"));

    /// <summary>A fresh tab (<see cref="Reset"/>) on the page at <paramref name="hash"/>, signed in with <paramref name="operatorKey"/>.</summary>
    public void OpenSignedIn(Uri app, string hash, string operatorKey)
    {
        Reset(app);
        Open(app, hash);
        SignIn(operatorKey);
    }

    /// <summary>Waits (checking every 50 ms, up to 15 s) until <paramref name="probe"/> returns a value; fails saying what it waited for.</summary>
    public T Wait<T>(Func<IWebDriver, T?> probe, string what)
        where T : class
    {
        var deadline = Environment.TickCount64 + 15_000;
        Exception? last = null;
        while (Environment.TickCount64 < deadline)
        {
            try
            {
                if (probe(Driver) is { } value)
                {
                    return value;
                }
            }
            catch (WebDriverException ex)
            {
                // The page re-rendered under the probe (a stale element): look again.
                last = ex;
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"Timed out after 15 s waiting for {what}; the page says: {Text("main")}", last);
    }

    public void WaitUntil(Func<IWebDriver, bool> condition, string what) => Wait(d => condition(d) ? string.Empty : null, what);

    public string Text(string css) => Driver.FindElements(By.CssSelector(css)).FirstOrDefault()?.Text ?? string.Empty;

    public ReadOnlyCollection<IWebElement> All(string css) => Driver.FindElements(By.CssSelector(css));

    /// <summary>
    /// Script errors and blocked loads (e.g. by the content security policy) the console reported since the last call.
    /// Answers the API gave with an error status are expected (a 401 before signing in) and left out.
    /// </summary>
    public IReadOnlyList<string> ConsoleErrors() => Driver.Manage().Logs.GetLog(LogType.Browser)
        .Where(entry => entry.Level == LogLevel.Severe && !entry.Message.Contains("Failed to load resource: the server responded with a status of", StringComparison.Ordinal))
        .Select(entry => entry.Message)
        .ToArray();

    /// <summary>
    /// Sends <paramref name="name"/>: <paramref name="value"/> with every request the page makes until disposed, as a
    /// front end in the path would (App Service Authentication adding its principal).
    /// </summary>
    public IDisposable SendHeader(string name, string value)
    {
        Driver.ExecuteCdpCommand("Network.enable", []);
        Driver.ExecuteCdpCommand("Network.setExtraHTTPHeaders", new Dictionary<string, object?> { ["headers"] = new Dictionary<string, object?> { [name] = value } });
        return new StopHeaders(Driver);
    }

    private sealed class StopHeaders(ChromeDriver driver) : IDisposable
    {
        public void Dispose() => driver.ExecuteCdpCommand("Network.setExtraHTTPHeaders", new Dictionary<string, object?> { ["headers"] = new Dictionary<string, object?>() });
    }

    /// <summary>Signs in through the page's form, as an operator would.</summary>
    public void SignIn(string key)
    {
        var input = Wait(d => d.FindElements(By.Id("operator-key")).FirstOrDefault(e => e.Displayed), "the operator key field");
        input.Clear();
        input.SendKeys(key);
        Driver.FindElement(By.CssSelector("#sign-in button[type=submit]")).Click();
    }

    /// <summary>Saves a PNG of the page under TestResults/screenshots in the test output; returns its path.</summary>
    public string Screenshot(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        // The whole page, not just the window: grow the window to the page's height for the shot.
        var window = Driver.Manage().Window;
        var size = window.Size;
        var height = Convert.ToInt32(Driver.ExecuteScript("return document.documentElement.scrollHeight;"), System.Globalization.CultureInfo.InvariantCulture);
        window.Size = new System.Drawing.Size(size.Width, Math.Clamp(height + (size.Height - Convert.ToInt32(Driver.ExecuteScript("return window.innerHeight;"), System.Globalization.CultureInfo.InvariantCulture)), size.Height, 6000));
        Driver.GetScreenshot().SaveAsFile(path);
        window.Size = size;
        return path;
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try
        {
            _profile.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be writing its profile as it exits; the temp folder is cleaned by the OS.
        }
    }
}
