using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Benchmarks.Broadcast;

/// <summary>
/// <c>broadcast-client --ports P1[,P2] --members N --messages M</c>: the members of the broadcast benchmark, in a
/// process of their own (so the server's process holds only its side of the sockets). Opens N plain sockets to
/// 127.0.0.1, spread over the ports in turn, prints <c>connected</c>, then counts the lines each socket receives: the
/// k-th line on a socket is message k. When the last of the N members has message k it prints
/// <c>done k &lt;timestamp&gt;</c> (Stopwatch ticks, CLOCK_MONOTONIC, comparable with the harness's). Exits when every
/// member has every message or its standard input closes.
/// </summary>
internal static class BroadcastClient
{
    public static async Task<int> RunAsync(string[] args)
    {
        int[] ports = [];
        var members = 0;
        var messages = 0;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--ports": ports = [.. args[i + 1].Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture))]; break;
                case "--members": members = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--messages": messages = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default:
                    await Console.Error.WriteLineAsync("Usage: broadcast-client --ports P1[,P2] --members N --messages M");
                    return 1;
            }
        }

        if (ports.Length == 0 || members < 1 || messages < 1)
        {
            await Console.Error.WriteLineAsync("broadcast-client: --ports, --members and --messages are required.");
            return 1;
        }

        var sockets = new Socket[members];
        using var connectLimit = new SemaphoreSlim(200);
        await Task.WhenAll(Enumerable.Range(0, members).Select(async i =>
        {
            await connectLimit.WaitAsync();
            try
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, ports[i % ports.Length]));
                sockets[i] = socket;
            }
            finally
            {
                connectLimit.Release();
            }
        }));

        var output = Console.Out;
        var outputLock = new Lock();
        output.WriteLine("connected");
        output.Flush();
        var received = new int[messages];
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            // The harness closes our standard input when it is done with us.
            await Console.In.ReadToEndAsync();
            await stop.CancelAsync();
        });

        var readers = sockets.Select(socket => Task.Run(async () =>
        {
            var buffer = new byte[16 * 1024];
            var line = 0;
            try
            {
                while (line < messages)
                {
                    var read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    foreach (var b in buffer.AsSpan(0, read))
                    {
                        if (b == (byte)'\n' && line < messages)
                        {
                            if (Interlocked.Increment(ref received[line]) == members)
                            {
                                var now = Stopwatch.GetTimestamp();
                                lock (outputLock)
                                {
                                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {line} {now}"));
                                    output.Flush();
                                }
                            }

                            line++;
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Told to stop.
            }
        })).ToList();
        await Task.WhenAll(readers);
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }

        return 0;
    }
}
