using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using TcpToolkit.Framing;
using TcpToolkit.Protocol;

namespace TcpToolkit.Samples;

/// <summary>Reads and writes the frames of the guide's application protocol over a connection's pipes.</summary>
internal static class GuideFrames
{
    /// <summary>
    /// Reads one frame from <paramref name="input"/>, however it is fragmented. The decoder rejects a bad or oversized
    /// header as soon as it is complete, so a huge announced <c>content-length</c> is never buffered.
    /// </summary>
    /// <exception cref="TruncatedFrameException">The peer closed before a whole frame arrived (the guide: <c>Peer closed.</c>).</exception>
    /// <exception cref="FramingException">The frame is invalid or too large.</exception>
    public static async ValueTask<JsonHeaderMessage> ReadAsync(PipeReader input, JsonHeaderDecoder decoder, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var buffered = buffer.Length;
            var consumed = buffer.Start;
            var examined = buffer.Start;
            JsonHeaderMessage? message = null;
            try
            {
                if (decoder.TryDecode(buffer, ref consumed, ref examined, out var decoded))
                {
                    message = decoded;
                }
            }
            finally
            {
                input.AdvanceTo(consumed, examined);
            }

            // The message owns its content (the decoder copies it), so it outlives the advance. Whatever follows it,
            // a pipelined second request for instance, stays unread: one request per connection, as in the guide.
            if (message is not null)
            {
                return message;
            }

            if (result.IsCompleted)
            {
                throw new TruncatedFrameException(buffered);
            }

            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The read was cancelled.");
            }
        }
    }

    /// <summary>The whole frame (proto-header, JSON header, content) in one buffer, to print and then send in one write.</summary>
    public static byte[] ToBytes(JsonHeaderMessage message, JsonHeaderEncoder encoder)
    {
        var writer = new ArrayBufferWriter<byte>(256);
        encoder.Encode(message, writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>The guide's error line, <c>Main: Error: Exception for (addr): ...</c>, with the reason on the same line.</summary>
    public static string ErrorLine(string address, Exception exception)
        => $"Main: Error: Exception for {address}: {Describe(exception)}";

    /// <summary>The guide's error line for a connection that could not be made.</summary>
    public static string ErrorLine(string address, SocketError error) => $"Main: Error: Exception for {address}: {Describe(error)}";

    /// <summary>A failed connect as Python reports it, for the errors the guide's programs meet.</summary>
    public static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "ConnectionRefusedError: [Errno 111] Connection refused",
        _ => $"OSError: {error}",
    };

    private static string Describe(Exception exception) => exception switch
    {
        TruncatedFrameException { BufferedBytes: 0 } => "Peer closed.",
        TruncatedFrameException truncated => $"Peer closed. ({truncated.BufferedBytes} bytes of an incomplete frame had arrived.)",
        _ => exception.Message,
    };
}
