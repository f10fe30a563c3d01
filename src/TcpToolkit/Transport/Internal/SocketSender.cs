using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// One reusable, awaitable <see cref="SocketAsyncEventArgs"/> per connection for sends, so a send allocates nothing:
/// a single segment goes out as one buffer, a multi-segment buffer as one gathered send (writev) of all its
/// segments. Errors come back as a <see cref="SocketException"/> to the caller, which maps them once.
/// </summary>
internal sealed class SocketSender : SocketAsyncEventArgs, IValueTaskSource<int>
{
    private readonly List<ArraySegment<byte>> _segments = new(capacity: 8);
    private ManualResetValueTaskSourceCore<int> _source;

    public SocketSender()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        // Continuations run on the thread that completed the send; the send loop does no blocking work.
        _source.RunContinuationsAsynchronously = false;
    }

    /// <summary>Sends all of <paramref name="buffer"/>; a multi-segment buffer must pass <see cref="CanGather"/>.</summary>
    public ValueTask<int> SendAsync(Socket socket, in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            if (BufferList is not null)
            {
                BufferList = null;
            }

            SetBuffer(MemoryMarshal.AsMemory(buffer.First));
        }
        else
        {
            // The caller checked CanGather: every segment is array-backed.
            SetBufferList(buffer);
        }

        _source.Reset();
        if (socket.SendAsync(this))
        {
            return new ValueTask<int>(this, _source.Version);
        }

        return SocketError == SocketError.Success
            ? new ValueTask<int>(BytesTransferred)
            : ValueTask.FromException<int>(new SocketException((int)SocketError));
    }

    public static bool CanGather(in ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            if (!MemoryMarshal.TryGetArray(segment, out _))
            {
                return false;
            }
        }

        return true;
    }

    int IValueTaskSource<int>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _source.OnCompleted(continuation, state, token, flags);

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        if (SocketError == SocketError.Success)
        {
            _source.SetResult(BytesTransferred);
        }
        else
        {
            _source.SetException(new SocketException((int)SocketError));
        }
    }

    private void SetBufferList(in ReadOnlySequence<byte> buffer)
    {
        SetBuffer(null, 0, 0);
        _segments.Clear();
        foreach (var segment in buffer)
        {
            MemoryMarshal.TryGetArray(segment, out var array);
            _segments.Add(array);
        }

        // Assigning the same list instance again makes the socket re-read it.
        BufferList = _segments;
    }
}
