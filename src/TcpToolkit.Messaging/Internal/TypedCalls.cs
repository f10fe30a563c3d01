using System.Runtime.CompilerServices;

namespace TcpToolkit.Messaging.Internal;

/// <summary>The typed calls of the client and the session: serialize into a pooled buffer, send, deserialize the reply.</summary>
internal static class TypedCalls
{
    [ThreadStatic]
    private static PooledBufferWriter? t_buffer;

    public static PooledBufferWriter RentBuffer()
    {
        var buffer = t_buffer ?? new PooledBufferWriter();
        t_buffer = null;
        return buffer;
    }

    public static void ReturnBuffer(PooledBufferWriter buffer)
    {
        buffer.Reset();
        t_buffer = buffer;
    }

    public static IMessageSerializer Require(IMessageSerializer? serializer)
        => serializer ?? throw new InvalidOperationException("No serializer is configured: set the Serializer option (for example a JsonMessageSerializer) to use typed calls.");

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<TResponse> RequestAsync<TRequest, TResponse>(
        IMessageSerializer serializer, Func<ReadOnlyMemory<byte>, ValueTask<MessageReply>> send, TRequest request)
    {
        var buffer = RentBuffer();
        MessageReply reply;
        try
        {
            serializer.Serialize(buffer, request);
            reply = await send(buffer.WrittenMemory).ConfigureAwait(false);
        }
        finally
        {
            // The payload is copied into the connection's output before the send's task completes.
            ReturnBuffer(buffer);
        }

        using (reply)
        {
            return serializer.Deserialize<TResponse>(reply.Payload);
        }
    }

    public static async ValueTask OneWayAsync<TMessage>(IMessageSerializer serializer, Func<ReadOnlyMemory<byte>, ValueTask> send, TMessage message)
    {
        var buffer = RentBuffer();
        try
        {
            serializer.Serialize(buffer, message);
            await send(buffer.WrittenMemory).ConfigureAwait(false);
        }
        finally
        {
            ReturnBuffer(buffer);
        }
    }
}
