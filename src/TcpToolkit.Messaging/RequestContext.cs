using System.Buffers;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.Messaging;

/// <summary>
/// One request (or one-way message) given to a handler: a <see cref="MessageServer"/> route, or a client's handler
/// of requests from the server. Contexts are pooled: the context, its <see cref="Payload"/> and its
/// <see cref="Reply"/> writer are valid only until the handler's task completes; copy what must outlive it.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Reliability",
    "CA2213:Disposable fields should be disposed",
    Justification = "Pooled: the channel releases the token source when it drops the context.")]
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Reliability",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "Pooled by its channel, which releases the token source (Release); users never own a context.")]
public sealed class RequestContext
{
    private readonly PooledBufferWriter _reply = new();
    private readonly MessageChannel _channel;
    private byte[] _buffer = [];
    private int _metadataLength;
    private int _payloadLength;
    private IReadOnlyDictionary<string, string>? _metadata;
    private CancellationTokenSource _cancellation = new();

    internal RequestContext(MessageChannel channel)
    {
        _channel = channel;
        Method = string.Empty;
        Node = new LinkedListNode<RequestContext>(this);
    }

    /// <summary>Gets the session (the connection) the request came on; use it to send the peer messages later.</summary>
    public MessageSession Session => _channel.Session;

    /// <summary>Gets the request id (0 for a one-way message). Unique among the connection's pending requests.</summary>
    public ulong RequestId { get; private set; }

    /// <summary>Gets the method (route) name the request was sent to; empty when the sender named none.</summary>
    public string Method { get; private set; }

    /// <summary>Gets a value indicating whether this is a one-way message: nothing written to <see cref="Reply"/> is sent.</summary>
    public bool IsOneWay { get; private set; }

    /// <summary>Gets the request's payload (a pooled copy, valid until the handler completes).</summary>
    public ReadOnlyMemory<byte> Payload => _buffer.AsMemory(_metadataLength, _payloadLength);

    /// <summary>Gets the metadata the sender attached (<see cref="RequestOptions.Metadata"/>); empty when none.</summary>
    public IReadOnlyDictionary<string, string> Metadata
        => _metadata ??= _metadataLength == 0 ? EmptyMetadata.Instance : Wire.DecodeMetadata(_buffer.AsSpan(0, _metadataLength));

    /// <summary>
    /// Gets the writer for the reply's payload. What the handler writes is sent as the response when its task
    /// completes successfully; an empty reply is allowed. If the handler throws, the requester gets an error instead.
    /// </summary>
    public IBufferWriter<byte> Reply => _reply;

    internal ReadOnlySpan<byte> WrittenReply => _reply.WrittenSpan;

    internal MessageChannel Channel => _channel;

    /// <summary>Gets the context's node in its channel's queue (made once, so queueing allocates nothing).</summary>
    internal LinkedListNode<RequestContext> Node { get; }

    internal CancellationToken Token => _cancellation.Token;

    internal RequestState State { get; set; }

    internal MessageErrorCode CancelCode { get; set; }

    internal long Deadline { get; private set; }

    internal int ChargedBytes => _metadataLength + _payloadLength;

    internal Func<RequestContext, CancellationToken, ValueTask>? Handler { get; private set; }

    /// <summary>Gets or sets the request's telemetry (metrics and server span), ended once when it is answered or dropped.</summary>
    internal RpcCall Call { get; set; }

    /// <summary>Reads the payload as a <typeparamref name="T"/> with the endpoint's serializer.</summary>
    /// <typeparam name="T">The payload's type.</typeparam>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidOperationException">No serializer is configured.</exception>
    public T ReadPayload<T>()
    {
        try
        {
            return _channel.Serializer.Deserialize<T>(Payload);
        }
        catch (Exception ex) when (ex is not InvalidOperationException)
        {
            throw new InvalidRequestException("The request's payload could not be read as " + typeof(T).Name + ".", ex);
        }
    }

    /// <summary>Writes <paramref name="value"/> as the reply with the endpoint's serializer.</summary>
    /// <typeparam name="T">The reply's type.</typeparam>
    /// <param name="value">The reply.</param>
    /// <exception cref="InvalidOperationException">No serializer is configured.</exception>
    public void WriteReply<T>(T value) => _channel.Serializer.Serialize(_reply, value);

    internal void Initialize(
        FrameKind kind, ulong id, string method, Func<RequestContext, CancellationToken, ValueTask>? handler, in MessageFrame frame, long deadline)
    {
        RequestId = id;
        IsOneWay = kind == FrameKind.OneWay;
        Method = method;
        Handler = handler;
        Deadline = deadline;
        State = RequestState.Queued;
        CancelCode = MessageErrorCode.Unknown;
        _metadata = null;
        _metadataLength = (int)frame.Metadata.Length;
        _payloadLength = (int)frame.Payload.Length;
        var total = _metadataLength + _payloadLength;
        if (_buffer.Length < total)
        {
            ReturnBuffer();
            _buffer = ArrayPool<byte>.Shared.Rent(total);
        }

        frame.Metadata.CopyTo(_buffer);
        frame.Payload.CopyTo(_buffer.AsSpan(_metadataLength));
    }

    /// <summary>Fires the handler's token (off the caller's thread: the callbacks are the handler's code).</summary>
    internal void Cancel(MessageErrorCode code)
    {
        if (CancelCode == MessageErrorCode.Unknown)
        {
            CancelCode = code;
        }

        _ = _cancellation.CancelAsync();
    }

    /// <summary>Readies the context for reuse; returns <see langword="false"/> when it cannot be reused.</summary>
    internal bool Reset()
    {
        _reply.Reset();
        _metadata = null;
        Handler = null;
        Call = default;
        Method = string.Empty;
        if (_buffer.Length > 64 * 1024)
        {
            ReturnBuffer();
        }

        if (!_cancellation.TryReset())
        {
            _cancellation.Dispose();
            _cancellation = new CancellationTokenSource();
        }

        return true;
    }

    internal void Release()
    {
        _reply.ReturnBuffer();
        ReturnBuffer();
        _cancellation.Dispose();
    }

    private void ReturnBuffer()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private static class EmptyMetadata
    {
        public static readonly IReadOnlyDictionary<string, string> Instance = new Dictionary<string, string>(0);
    }
}

/// <summary>Where an incoming request is.</summary>
internal enum RequestState
{
    /// <summary>Waiting for a handler slot.</summary>
    Queued,

    /// <summary>Its handler runs.</summary>
    Running,

    /// <summary>Answered or dropped before its handler started; the queue still holds it.</summary>
    Tombstone,
}
