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

    // The wait for data by callback (WaitForData): the pending empty receive, whom to call, and the one delegate
    // that observes it, created at the first wait that has to wait.
    private ValueTaskAwaiter<int> _dataWait;
    private Action<object?>? _onReadable;
    private object? _onReadableState;
    private Action? _dataWaitCompleted;
    private Exception? _dataWaitError;

    public DotNetSocketIO(Socket socket) => _socket = socket;

    public override ValueTask<int> ReceiveAsync(Memory<byte> memory)
    {
        if (_dataWaitError is { } error)
        {
            // The empty receive of WaitForData failed: this receive reports it.
            _dataWaitError = null;
            return ValueTask.FromException<int>(error);
        }

        return _socket.ReceiveAsync(memory, SocketFlags.None);
    }

    public override bool WaitForData(Action<object?> onReadable, object state)
    {
        // Consumed exactly once, by ObserveDataWait: now, or in the callback when it completes.
#pragma warning disable CA2012
        var awaiter = _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).GetAwaiter();
#pragma warning restore CA2012
        if (awaiter.IsCompleted)
        {
            ObserveDataWait(awaiter);
            return true;
        }

        _dataWait = awaiter;
        _onReadable = onReadable;
        _onReadableState = state;
        awaiter.UnsafeOnCompleted(_dataWaitCompleted ??= OnDataWaitCompleted);
        return false;
    }

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

    private void OnDataWaitCompleted()
    {
        var wait = _dataWait;
        var onReadable = _onReadable!;
        var state = _onReadableState;
        _dataWait = default;
        _onReadable = null;
        _onReadableState = null;
        ObserveDataWait(wait);
        onReadable(state);
    }

    private void ObserveDataWait(ValueTaskAwaiter<int> wait)
    {
        try
        {
            _ = wait.GetResult();
        }
        catch (Exception ex)
        {
            _dataWaitError = ex;
        }
    }

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
