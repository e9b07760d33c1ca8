using System.Net;
using System.Net.Sockets;

namespace ReleaseFunctions.Testing;

/// <summary>A free TCP port on 127.0.0.1, for servers that must be told their port before they start.</summary>
internal static class LoopbackPort
{
    /// <summary>A port nothing listened on a moment ago; the probe is closed before it returns.</summary>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
