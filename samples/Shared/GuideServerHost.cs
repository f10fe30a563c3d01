using System.Globalization;
using System.Net;
using TcpToolkit.Connections;
using TcpToolkit.Transport;

namespace TcpToolkit.Samples;

/// <summary>
/// What the guide's selector servers do around their loop: parse <c>&lt;host&gt; &lt;port&gt;</c>, bind, print
/// <c>Listening on (host, port)</c>, serve until Ctrl+C, print <c>Caught keyboard interrupt, exiting</c>.
/// </summary>
internal static class GuideServerHost
{
    public static async Task<int> RunAsync(
        string[] args,
        string usage,
        TextWriter stdout,
        Action<EndPoint>? listening,
        ConnectionHandler handler,
        CancellationToken cancellationToken)
    {
        if (args.Length != 2 || !TryParseHost(args[0], out var address)
            || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            await stdout.WriteLineAsync(usage).ConfigureAwait(false);
            return 1;
        }

        var options = new TcpServerOptions { EndPoints = { new IPEndPoint(address, port) } };
        await using var server = new TcpServer(options, handler);
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TcpBindException ex)
        {
            await stdout.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }

        var bound = (IPEndPoint)server.LocalEndPoint;
        await stdout.WriteLineAsync("Listening on " + GuideFormat.Address(args[0], bound.Port)).ConfigureAwait(false);
        listening?.Invoke(bound);

        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await stdout.WriteLineAsync("Caught keyboard interrupt, exiting").ConfigureAwait(false);
        await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
        return 0;
    }

    private static bool TryParseHost(string host, out IPAddress address)
    {
        // Python binds '' to every interface.
        if (host is "" or "''")
        {
            address = IPAddress.Any;
            return true;
        }

        return IPAddress.TryParse(host, out address!);
    }
}
