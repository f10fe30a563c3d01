using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Benchmarks.Peers;

// The straightforward way: one task per connection, an 8 KiB receive buffer (grown for a large frame) and an
// output buffer the decoded frames are re-encoded into, sent with one SendAsync per receive.
var peer = PeerArgs.Parse(args);
using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(new IPEndPoint(IPAddress.Loopback, peer.Port));
listener.Listen(512);
Console.WriteLine("listening on 127.0.0.1:" + peer.Port);
while (true)
{
    var socket = await listener.AcceptAsync().ConfigureAwait(false);
    socket.NoDelay = true;
    _ = Task.Run(() => Echo.ServeAsync(socket, peer.Length32));
}

internal static class Echo
{
    public static async Task ServeAsync(Socket socket, bool length32)
    {
        var input = new byte[8192];
        var output = new byte[8192];
        var filled = 0;
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(input.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                filled += received;
                if (!length32)
                {
                    await SendAllAsync(socket, input.AsMemory(0, filled)).ConfigureAwait(false);
                    filled = 0;
                    continue;
                }

                var position = 0;
                var written = 0;
                while (filled - position >= 4)
                {
                    var length = BinaryPrimitives.ReadInt32BigEndian(input.AsSpan(position));
                    if (length is < 0 or > PeerArgs.MaxFrameLength)
                    {
                        return;
                    }

                    if (filled - position - 4 < length)
                    {
                        if (input.Length < 4 + length)
                        {
                            // A frame larger than the buffer: grow it, keeping what was received.
                            Array.Resize(ref input, 4 + length);
                        }

                        break;
                    }

                    if (output.Length - written < 4 + length)
                    {
                        Array.Resize(ref output, Math.Max(output.Length * 2, written + 4 + length));
                    }

                    BinaryPrimitives.WriteInt32BigEndian(output.AsSpan(written), length);
                    input.AsSpan(position + 4, length).CopyTo(output.AsSpan(written + 4));
                    written += 4 + length;
                    position += 4 + length;
                }

                if (written > 0)
                {
                    await SendAllAsync(socket, output.AsMemory(0, written)).ConfigureAwait(false);
                }

                input.AsSpan(position, filled - position).CopyTo(input);
                filled -= position;
            }
        }
        catch (SocketException)
        {
            // The client went away; nothing to report in a benchmark peer.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
