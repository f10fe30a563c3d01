using System.Buffers;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.Messaging;

/// <summary>
/// One request (or one-way message) given to a <see cref="MessageServer"/> handler. Contexts are pooled: the context,
/// its <see cref="Payload"/> and its <see cref="Reply"/> writer are valid only until the handler's task completes;
/// copy what must outlive it.
/// </summary>
public sealed class RequestContext
{
    private readonly PooledBufferWriter _reply = new();
    private byte[]? _payloadBuffer;
    private int _payloadLength;

    internal RequestContext(MessageSession session)
    {
        Session = session;
    }

    /// <summary>Gets the connection the request came on; use it to push messages to that client later.</summary>
    public MessageSession Session { get; }

    /// <summary>Gets the request id (0 for a one-way message). Unique among the connection's pending requests only.</summary>
    public uint RequestId { get; private set; }

    /// <summary>Gets a value indicating whether this is a one-way message: nothing written to <see cref="Reply"/> is sent.</summary>
    public bool IsOneWay { get; private set; }

    /// <summary>Gets the request's payload (a pooled copy, valid until the handler completes).</summary>
    public ReadOnlyMemory<byte> Payload => _payloadBuffer.AsMemory(0, _payloadLength);

    /// <summary>
    /// Gets the writer for the reply's payload. What the handler writes is sent as the response when its task
    /// completes successfully; an empty reply is allowed. If the handler throws, the client gets an error instead.
    /// </summary>
    public IBufferWriter<byte> Reply => _reply;

    internal ReadOnlySpan<byte> WrittenReply => _reply.WrittenSpan;

    internal ReadOnlyMemory<byte> WrittenReplyMemory => _reply.WrittenMemory;

    internal void Initialize(MessageKind kind, uint id, in ReadOnlySequence<byte> payload)
    {
        RequestId = id;
        IsOneWay = kind == MessageKind.OneWay;
        _payloadLength = (int)payload.Length;
        _payloadBuffer = ArrayPool<byte>.Shared.Rent(_payloadLength);
        payload.CopyTo(_payloadBuffer);
    }

    internal void Reset()
    {
        _reply.Reset();
        if (_payloadBuffer is { } buffer)
        {
            _payloadBuffer = null;
            _payloadLength = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal void Release()
    {
        Reset();
        _reply.ReturnBuffer();
    }
}
