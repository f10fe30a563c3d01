using System.Globalization;
using System.Net;
using TcpToolkit.Datagrams;

namespace TcpToolkit.IntegrationTests.Datagrams;

/// <summary>A received datagram copied out of the endpoint's pooled buffer, so a test can keep it.</summary>
internal sealed record ReceivedDatagram(byte[] Payload, IPEndPoint RemoteEndPoint, bool IsTruncated);

/// <summary>Endpoints on loopback port 0 and single reads, shared by the datagram tests.</summary>
internal static class DatagramTestHelpers
{
    public static UdpEndpoint BindLoopback(UdpEndpointOptions? options = null)
        => UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0), options);

    /// <summary>Reads one datagram (ending the read loop after it) and copies it.</summary>
    public static async Task<ReceivedDatagram> ReceiveOneAsync(UdpEndpoint endpoint, CancellationToken cancellationToken)
    {
        await foreach (var datagram in endpoint.ReadAllAsync(cancellationToken))
        {
            return new ReceivedDatagram(datagram.Payload.ToArray(), datagram.RemoteEndPoint, datagram.IsTruncated);
        }

        throw new InvalidOperationException("The endpoint's datagrams ended before one arrived.");
    }

    /// <summary>
    /// The kernel's drop count for the UDP socket bound to <paramref name="port"/> (datagrams that found its receive
    /// buffer full), from the last column of /proc/net/udp or udp6; <see langword="null"/> where that file does not exist.
    /// </summary>
    public static long? KernelDrops(int port, bool ipv6)
    {
        var path = ipv6 ? "/proc/net/udp6" : "/proc/net/udp";
        if (!File.Exists(path))
        {
            return null;
        }

        var portHex = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length > 2 && columns[1].EndsWith(portHex, StringComparison.Ordinal))
            {
                return long.Parse(columns[^1], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}
