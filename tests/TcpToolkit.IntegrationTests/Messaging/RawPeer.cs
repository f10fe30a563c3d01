using System.Buffers;
using System.Buffers.Binary;
using TcpToolkit.Connections;
using TcpToolkit.Messaging;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>One frame as a raw peer sees it.</summary>
internal sealed record RawFrame(FrameKind Kind, ulong Id, MessageErrorCode ErrorCode, HelloFields Hello, uint TimeoutMilliseconds, string Method, byte[] Payload);

/// <summary>Speaks the message protocol byte by byte, for tests that play a misbehaving or hand-made peer.</summary>
internal static class RawPeer
{
    public static byte[] Hello(ushort version = Wire.Version, int maxFrame = Wire.DefaultMaxFrameLength, int inFlight = 128, int bufferedBytes = 4 << 20)
        => Build(output => Wire.WriteHello(output, FrameKind.Hello, new HelloFields(version, maxFrame, inFlight, bufferedBytes, 0), ReadOnlySpan<byte>.Empty));

    public static byte[] HelloAck(ushort version = Wire.Version, int maxFrame = Wire.DefaultMaxFrameLength, int inFlight = 128, int bufferedBytes = 4 << 20, uint pingMilliseconds = 0)
        => Build(output => Wire.WriteHello(output, FrameKind.HelloAck, new HelloFields(version, maxFrame, inFlight, bufferedBytes, pingMilliseconds), ReadOnlySpan<byte>.Empty));

    public static byte[] Request(ulong id, string method, ReadOnlySpan<byte> payload, uint timeoutMilliseconds = 0)
    {
        var copy = payload.ToArray();
        return Build(output => Wire.WriteCall(output, FrameKind.Request, id, timeoutMilliseconds, method, Wire.MethodByteCount(method), ReadOnlySpan<byte>.Empty, copy));
    }

    public static byte[] Simple(FrameKind kind, ulong id, ReadOnlySpan<byte> payload = default)
    {
        var copy = payload.ToArray();
        return Build(output => Wire.WriteSimple(output, kind, id, copy));
    }

    public static byte[] Build(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Reads one whole frame, or <see langword="null"/> at EOF.</summary>
    public static async Task<RawFrame?> ReadFrameAsync(Connection connection, CancellationToken ct)
    {
        var header = new byte[4];
        if (!await ReadExactlyAsync(connection, header, ct))
        {
            return null;
        }

        var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        if (!await ReadExactlyAsync(connection, body, ct))
        {
            throw new EndOfStreamException("EOF inside a frame.");
        }

        var frame = MessageFrameDecoder.Parse(new ReadOnlySequence<byte>(body));
        return new RawFrame(
            frame.Kind, frame.Id, frame.ErrorCode, frame.Hello, frame.TimeoutMilliseconds, System.Text.Encoding.UTF8.GetString(frame.Method.ToArray()), frame.Payload.ToArray());
    }

    /// <summary>Reads frames until one of <paramref name="kind"/> comes (answering nothing).</summary>
    public static async Task<RawFrame> ReadUntilAsync(Connection connection, FrameKind kind, CancellationToken ct)
    {
        while (true)
        {
            var frame = await ReadFrameAsync(connection, ct) ?? throw new EndOfStreamException($"EOF before a {kind} frame.");
            if (frame.Kind == kind)
            {
                return frame;
            }
        }
    }

    /// <summary>Plays a server's side of the hello: reads the client's hello and answers it.</summary>
    public static async Task<RawFrame> AcceptHelloAsync(Connection connection, CancellationToken ct, uint pingMilliseconds = 0)
    {
        var hello = await ReadFrameAsync(connection, ct) ?? throw new EndOfStreamException("EOF before the hello.");
        hello.Kind.Should().Be(FrameKind.Hello);
        await connection.SendAsync(HelloAck(pingMilliseconds: pingMilliseconds), ct);
        return hello;
    }

    /// <summary>Plays a client's side of the hello against a message server.</summary>
    public static async Task<RawFrame> ConnectHelloAsync(Connection connection, CancellationToken ct, int inFlight = 128, int bufferedBytes = 4 << 20)
    {
        await connection.SendAsync(Hello(inFlight: inFlight, bufferedBytes: bufferedBytes), ct);
        var ack = await ReadFrameAsync(connection, ct) ?? throw new EndOfStreamException("EOF before the hello's answer.");
        ack.Kind.Should().Be(FrameKind.HelloAck);
        return ack;
    }

    private static async Task<bool> ReadExactlyAsync(Connection connection, byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await connection.ReceiveAsync(buffer.AsMemory(total), ct);
            if (read == 0)
            {
                return total == 0 ? false : throw new EndOfStreamException("EOF inside a frame.");
            }

            total += read;
        }

        return true;
    }
}
