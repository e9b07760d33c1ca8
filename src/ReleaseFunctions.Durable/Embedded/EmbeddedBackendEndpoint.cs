using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable.Diagnostics;

namespace ReleaseFunctions.Durable.Embedded;

/// <summary>
/// Where this process's SDK worker and client reach the embedded backend: a gRPC server on a Unix domain socket in
/// a directory only this user can open, and every call must carry a secret made when the process starts. Nothing
/// listens on the network, so nobody else can start or terminate orchestrations through it.
/// </summary>
public sealed class EmbeddedBackendEndpoint : IHostedService, IAsyncDisposable
{
    internal const string SecretHeader = "x-releasefunctions-backend-key";

    private readonly EmbeddedTaskHubService _service;
    private readonly ILoggerFactory _loggers;
    private readonly string _storeName;
    private readonly string _directory;
    private readonly string _socketPath;
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _server;

    internal EmbeddedBackendEndpoint(EmbeddedTaskHubService service, ILoggerFactory loggers, string storeName)
    {
        _service = service;
        _loggers = loggers;
        _storeName = storeName;
        _directory = Directory.CreateTempSubdirectory("rf-durable-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        _socketPath = Path.Combine(_directory, "backend.sock");
        Channel = CreateChannel();
    }

    /// <summary>
    /// The channel the worker and the client use. It may be used before the server listens: a connection waits
    /// until it does, so the order in which hosted services start does not matter.
    /// </summary>
    public GrpcChannel Channel { get; }

    /// <summary>The socket's path, in a directory only this user can open.</summary>
    internal string SocketPath => _socketPath;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(_socketPath, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(grpc =>
        {
            // Histories travel whole in a work item: no cap below what the store holds.
            grpc.MaxReceiveMessageSize = null;
            grpc.MaxSendMessageSize = null;
        });
        builder.Services.AddSingleton(_service);
        var server = builder.Build();
        server.Use(async (context, next) =>
        {
            if (!HasSecret(context.Request))
            {
                EngineLog.CallRefused(_loggers.CreateLogger<EmbeddedBackendEndpoint>(), $"a call to {context.Request.Path} without this process's backend key");
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            await next(context);
        });
        server.MapGrpcService<EmbeddedTaskHubService>();
        await server.StartAsync(cancellationToken);
        _server = server;
        _listening.TrySetResult();
        EngineLog.BackendStarted(_loggers.CreateLogger<EmbeddedBackendEndpoint>(), _storeName);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { } server)
        {
            await server.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        if (_server is { } server)
        {
            await server.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder; it holds nothing but a dead socket.
        }
    }

    private bool HasSecret(HttpRequest request)
    {
        var presented = request.Headers[SecretHeader].ToString();
        return presented.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), Encoding.ASCII.GetBytes(Convert.ToHexString(_secret)));
    }

    /// <summary>
    /// A call that could not reach the socket (a connection refused or dropped under load, seen in CI as EADDRNOTAVAIL)
    /// is tried again, up to 5 times within about a second. gRPC retries only calls that got no answer headers, so
    /// the backend ran none of them or (a connection lost mid-call) ran one whose repeat it refuses or absorbs: a
    /// start of an id that exists is refused, a raised event is a command the workflow takes idempotently.
    /// </summary>
    private static readonly RetryPolicy ConnectRetry = new()
    {
        MaxAttempts = 5,
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(500),
        BackoffMultiplier = 3,
        RetryableStatusCodes = { StatusCode.Unavailable },
    };

    private GrpcChannel CreateChannel()
    {
        var sockets = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                await _listening.Task.WaitAsync(cancellationToken);
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            EnableMultipleHttp2Connections = true,
        };
        var keyed = new SecretHandler(Convert.ToHexString(_secret)) { InnerHandler = sockets };
        return GrpcChannel.ForAddress("http://embedded-backend", new GrpcChannelOptions
        {
            HttpHandler = keyed,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
            ServiceConfig = new ServiceConfig { MethodConfigs = { new MethodConfig { Names = { MethodName.Default }, RetryPolicy = ConnectRetry } } },
        });
    }

    private sealed class SecretHandler(string secret) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation(SecretHeader, secret);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
