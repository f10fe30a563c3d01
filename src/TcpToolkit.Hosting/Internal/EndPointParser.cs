using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Hosting.Internal;

/// <summary>Reads the endpoint strings of <see cref="TcpServerSettings.EndPoints"/>.</summary>
internal static class EndPointParser
{
    public const string Expected = "expected an address and a port (127.0.0.1:65432, [::1]:5000, 0.0.0.0:5000, *:5000) or unix:/path/to.sock";

    private const string UnixPrefix = "unix:";

    /// <summary>Parses one endpoint; on failure <paramref name="error"/> says what is wrong, to follow the quoted value.</summary>
    public static bool TryParse(string? text, out EndPoint? endPoint, out string? error)
    {
        endPoint = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty: " + Expected;
            return false;
        }

        text = text.Trim();
        if (text.StartsWith(UnixPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var path = text[UnixPrefix.Length..];
            if (path.Length == 0)
            {
                error = "has no path after 'unix:'";
                return false;
            }

            try
            {
                endPoint = new UnixDomainSocketEndPoint(path);
                return true;
            }
            catch (ArgumentException ex)
            {
                error = "is not a Unix domain socket path: " + ex.Message;
                return false;
            }
        }

        var colon = text.LastIndexOf(':');
        var close = text.LastIndexOf(']');
        if (colon < 0 || colon < close)
        {
            error = "has no port: " + Expected;
            return false;
        }

        var host = text[..colon];
        var portText = text[(colon + 1)..];
        IPAddress? address;
        if (host == "*")
        {
            // Every address, IPv4 and IPv6: TcpServer makes an [::] listener dual-mode, as Kestrel's "*" does.
            address = IPAddress.IPv6Any;
        }
        else if (host.StartsWith('[') && host.EndsWith(']'))
        {
            if (!IPAddress.TryParse(host.AsSpan(1, host.Length - 2), out address) || address.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = "is not an IP endpoint: " + Expected;
                return false;
            }
        }
        else if (host.Count(c => c == '.') != 3 || !IPAddress.TryParse(host, out address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            // Dotted quads only (IPAddress also reads "12" as 0.0.0.12); an IPv6 address needs its brackets (its
            // colons would be read as the port's); a host name is refused.
            error = "is not an IP endpoint: " + Expected;
            return false;
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            error = $"has no valid port ('{portText}' is not 0 to 65535): " + Expected;
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        return true;
    }
}
