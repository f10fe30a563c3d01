using System.Globalization;
using System.Security.Authentication;

namespace TcpToolkit.Tls.Internal;

/// <summary>Validation and formatting the two TLS options classes share.</summary>
internal static class TlsGuards
{
    /// <summary>The protocol versions TcpToolkit negotiates: TLS 1.2 and 1.3. SSL 3, TLS 1.0 and 1.1 are deprecated (RFC 8996).</summary>
    public const SslProtocols Supported = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>The longest handshake timeout: what a timer takes (about 24.8 days); anything longer is a mistake.</summary>
    public static readonly TimeSpan MaxHandshakeTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    public static SslProtocols Protocols(SslProtocols value, string paramName)
    {
        if (value == SslProtocols.None || (value & ~Supported) != 0)
        {
            throw new ArgumentOutOfRangeException(
                paramName,
                value,
                "Must be Tls12, Tls13 or both: SSL 3, TLS 1.0 and TLS 1.1 are deprecated (RFC 8996), and None (the OS's choice) could enable them.");
        }

        return value;
    }

    public static TimeSpan HandshakeTimeout(TimeSpan value, string paramName)
    {
        // Never unlimited: a peer that connects and says nothing must not hold a connection (and a handshake's
        // buffers) for ever.
        if (value <= TimeSpan.Zero || value > MaxHandshakeTimeout)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "Must be positive and finite (at most about 24 days); a handshake is always bounded.");
        }

        return value;
    }

    /// <summary>Formats a timeout for a close message: <c>10 s</c>, <c>0.25 s</c>.</summary>
    public static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
