using System.Net.Sockets;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// <c>SO_REUSEPORT</c> on a listening socket. .NET has no named option for it, so it is set as a raw option with
/// Linux's constants (<c>SOL_SOCKET</c> = 1, <c>SO_REUSEPORT</c> = 15); other systems differ in meaning (BSD's
/// does not balance) or lack it (Windows), and are refused rather than guessed at.
/// </summary>
internal static class ReusePort
{
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    /// <summary>Refuses the option before any socket exists, so a failed start leaves nothing to release.</summary>
    public static void ThrowIfUnsupported()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("TcpServerOptions.ReusePort needs Linux's SO_REUSEPORT, which spreads connections over the listeners.");
        }
    }

    public static void Enable(Socket listener) => listener.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
}
