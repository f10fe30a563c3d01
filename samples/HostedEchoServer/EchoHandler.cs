using System.Buffers;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;
using TcpToolkit.Hosting;

namespace TcpToolkit.Samples.HostedEchoServer;

/// <summary>Echoes every byte until the client's EOF; resolved from DI once, serving every connection.</summary>
internal sealed partial class EchoHandler(ILogger<EchoHandler> logger) : ITcpConnectionHandler
{
    public async Task HandleConnectionAsync(Connection connection, CancellationToken cancellationToken)
    {
        Connected(logger, connection.Id, connection.RemoteEndPoint?.ToString());
        var input = connection.Input;
        var output = connection.Output;
        while (true)
        {
            // Straight from the input pipe to the output pipe: nothing is allocated per message.
            var read = await input.ReadAsync(cancellationToken);
            foreach (var segment in read.Buffer)
            {
                output.Write(segment.Span);
            }

            input.AdvanceTo(read.Buffer.End);
            var flush = await output.FlushAsync(cancellationToken);
            if (read.IsCompleted || flush.IsCompleted)
            {
                return;
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Connection {ConnectionId} from {RemoteEndPoint}.")]
    private static partial void Connected(ILogger logger, string connectionId, string? remoteEndPoint);
}
