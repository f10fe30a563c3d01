using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace TcpToolkit.Transport.Internal;

/// <summary>.NET's socket engine: <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/> and a reusable <see cref="SocketSender"/>.</summary>
internal sealed class DotNetSocketIO : SocketIO
{
    private readonly Socket _socket;

    // Created at the first send: an idle connection (the common case with many connections) never sends, and the
    // sender's SocketAsyncEventArgs and segment list are about 450 bytes of it.
    private SocketSender? _sender;

    public DotNetSocketIO(Socket socket) => _socket = socket;

    public override ValueTask<int> ReceiveAsync(Memory<byte> memory) => _socket.ReceiveAsync(memory, SocketFlags.None);

    public override ValueTask SendAsync(ReadOnlySequence<byte> buffer)
    {
        if (!buffer.IsSingleSegment && !SocketSender.CanGather(buffer))
        {
            return SendSegmentsAsync(buffer);
        }

        var send = (_sender ??= new SocketSender()).SendAsync(_socket, buffer);
        if (send.IsCompletedSuccessfully)
        {
            _ = send.Result;
            return default;
        }

        return AwaitSendAsync(send);
    }

    public override void Close() => _sender?.Dispose();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask AwaitSendAsync(ValueTask<int> send) => await send.ConfigureAwait(false);

    private async ValueTask SendSegmentsAsync(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            await _socket.SendAsync(segment, SocketFlags.None).ConfigureAwait(false);
        }
    }
}
