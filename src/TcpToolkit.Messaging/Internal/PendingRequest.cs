using System.Buffers;
using System.Threading.Tasks.Sources;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// A request waiting for its answer: the pooled <see cref="IValueTaskSource{TResult}"/> the caller awaits, and the
/// buffer its reply is copied into. Two parties hold it: the wire (its entry in the channel's map, released when the
/// peer's answer arrives or the connection is lost) and the caller (released when it has taken the outcome, and for a
/// reply when it disposes the <see cref="MessageReply"/>). The last one to let go returns it to its channel's pool, so
/// a timed-out request keeps its slot until the peer's late answer frees it (the peer counts it in flight until then).
/// </summary>
internal sealed class PendingRequest : IValueTaskSource<MessageReply>
{
    // Reply buffers up to this size stay with the object when it is reused; larger ones go back to the pool.
    private const int RetainLimit = 64 * 1024;

    private ManualResetValueTaskSourceCore<MessageReply> _core = new() { RunContinuationsAsynchronously = true };
    private byte[] _buffer = [];
    private int _length;
    private int _refs;
    private int _outcomeSet;
    private int _replyReleased;
    private RpcCall _call;

    public PendingRequest(MessageChannel channel)
    {
        Channel = channel;
    }

    public MessageChannel Channel { get; }

    public ulong Id { get; private set; }

    /// <summary>Gets the deadline as a <see cref="TimeProvider"/> timestamp, or 0 for none.</summary>
    public long Deadline { get; private set; }

    /// <summary>Gets the payload bytes charged against the peer's buffered-bytes window.</summary>
    public int ChargedBytes { get; private set; }

    /// <summary>Gets or sets the request's place in the send order (0 until written): compared with a GoAway's accepted count.</summary>
    public ulong Sequence { get; set; }

    /// <summary>Gets or sets whether the caller gave up (timeout, cancellation): an answer is then a late reply.</summary>
    public bool Abandoned { get; set; }

    public CancellationTokenRegistration Registration { get; set; }

    public short Version => _core.Version;

    public bool HasOutcome => Volatile.Read(ref _outcomeSet) != 0;

    public void Initialize(ulong id, long deadline, int chargedBytes, RpcCall call)
    {
        _call = call;
        Id = id;
        Deadline = deadline;
        ChargedBytes = chargedBytes;
        Abandoned = false;
        Sequence = 0;
        _refs = 2;
        _outcomeSet = 0;
        _replyReleased = 0;
        _length = 0;
    }

    /// <summary>Completes the caller's wait with a copy of <paramref name="payload"/>, unless an outcome is set already.</summary>
    public bool TrySetReply(in ReadOnlySequence<byte> payload)
    {
        if (Interlocked.Exchange(ref _outcomeSet, 1) != 0)
        {
            return false;
        }

        EndCall(null);
        var length = (int)payload.Length;
        if (_buffer.Length < length)
        {
            ReturnBuffer();
            _buffer = ArrayPool<byte>.Shared.Rent(length);
        }

        payload.CopyTo(_buffer);
        _length = length;
        _core.SetResult(new MessageReply(this, _core.Version));
        return true;
    }

    public bool TrySetException(Exception exception)
    {
        if (Interlocked.Exchange(ref _outcomeSet, 1) != 0)
        {
            return false;
        }

        EndCall(exception);
        _core.SetException(exception);
        return true;
    }

    /// <summary>The wire's part is over (answer received or connection lost).</summary>
    public void ReleaseWire() => Release();

    public ReadOnlyMemory<byte> GetReplyPayload(short version)
    {
        if (version != _core.Version || Volatile.Read(ref _replyReleased) != 0)
        {
            throw new ObjectDisposedException(nameof(MessageReply), "The reply was disposed; its buffer belongs to another request now.");
        }

        return _buffer.AsMemory(0, _length);
    }

    public void ReleaseReply(short version)
    {
        if (version == _core.Version && Interlocked.Exchange(ref _replyReleased, 1) == 0)
        {
            Release();
        }
    }

    public MessageReply GetResult(short token)
    {
        Registration.Unregister();
        try
        {
            // On success the caller's part lasts until it disposes the reply.
            return _core.GetResult(token);
        }
        catch
        {
            Release();
            throw;
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Ends the request's telemetry with its outcome, before the caller can see it (and reuse this entry).</summary>
    private void EndCall(Exception? exception)
    {
        var call = _call;
        if (!call.IsTracked)
        {
            return;
        }

        _call = default;
        if (exception is null)
        {
            call.End(Channel.Metrics, Channel.Time, errorType: null);
        }
        else
        {
            call.End(Channel.Metrics, Channel.Time, exception);
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0)
        {
            return;
        }

        Registration = default;
        _core.Reset();
        if (_buffer.Length > RetainLimit)
        {
            ReturnBuffer();
        }

        Channel.ReturnToPool(this);
    }

    private void ReturnBuffer()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
