using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using TcpToolkit.Connections;
using TcpToolkit.InMemory;
using TcpToolkit.Testing;
using TcpToolkit.Tls;

namespace TcpToolkit.Tests.Tls;

/// <summary>
/// The TLS layer over an in-memory pair (no sockets): it encrypts, and it follows the seam's rule for layers (a
/// completed output is close_notify then the end of stream below, EOF flows up, errors flow both ways).
/// </summary>
public sealed class TlsLayerTests
{
    [Fact]
    public async Task Transport_AfterTheHandshake_TheWireCarriesTlsRecordsNotThePlaintext()
    {
        var ct = Deadline();
        var wire = new RecordingLayer();
        var secret = "the secret payload"u8.ToArray();

        var received = await RunAsync(
            async (server, stopping) =>
            {
                var request = await ReadToEndAsync(server.Input, stopping);
                await server.SendAsync(request, stopping);
            },
            async (client, stopping) =>
            {
                await client.SendAsync(secret, stopping);
                await client.Output.CompleteAsync();
                return await ReadToEndAsync(client.Input, stopping);
            },
            serverOutside: wire.Middleware,
            ct);

        received.Should().Equal(secret);
        var bytes = wire.Inbound;
        bytes[0].Should().Be(0x16, "a TLS connection starts with a handshake record (ClientHello)");
        bytes.AsSpan().IndexOf(secret).Should().Be(-1, "the payload crossed the wire encrypted");
    }

    [Fact]
    public async Task CompleteOutput_HalfClose_PeerSeesEndOfStreamAndCanStillAnswer()
    {
        var ct = Deadline();

        var received = await RunAsync(
            async (server, stopping) =>
            {
                // The client's close_notify is this side's end of stream; its own direction stays open.
                var question = await ReadToEndAsync(server.Input, stopping);
                await server.SendAsync(Encoding.ASCII.GetBytes("answer to " + Encoding.ASCII.GetString(question)), stopping);
            },
            async (client, stopping) =>
            {
                await client.SendAsync("question"u8.ToArray(), stopping);
                await client.Output.CompleteAsync();
                return await ReadToEndAsync(client.Input, stopping);
            },
            serverOutside: null,
            ct);

        Encoding.ASCII.GetString(received).Should().Be("answer to question");
    }

    [Fact]
    public async Task PeerAborts_ApplicationReadThrowsTheReset()
    {
        var ct = Deadline();

        var read = async () => await RunAsync(
            (server, _) =>
            {
                server.Abort("the test aborts the server end");
                return Task.CompletedTask;
            },
            async (client, stopping) => await ReadToEndAsync(client.Input, stopping),
            serverOutside: null,
            ct);

        await read.Should().ThrowAsync<ConnectionResetException>();
    }

    [Fact]
    public async Task ConnectionAborted_ApplicationFlushThrowsOnceTheLayerHasStopped()
    {
        var ct = Deadline();
        var write = async () => await RunAsync(
            async (server, stopping) =>
            {
                try
                {
                    await ReadToEndAsync(server.Input, stopping);
                }
                catch (ConnectionResetException)
                {
                    // The client's abort, if this side's handshake finished before it (TLS 1.3 need not).
                }
            },
            async (client, stopping) =>
            {
                client.Abort("the test aborts its own end");

                // The layer buffers up to its pause threshold, so the first flushes may still succeed; once it has
                // seen the abort, the error comes up through the writer.
                while (true)
                {
                    client.Output.Write(new byte[1000]);
                    await client.Output.FlushAsync(stopping);
                }
            },
            serverOutside: null,
            ct);

        await write.Should().ThrowAsync<ConnectionAbortedException>();
    }

    [Fact]
    public async Task CloseAsync_OnTheTlsConnection_ClosesEveryLayerGracefully()
    {
        var ct = Deadline();
        var serverSawEnd = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        Connection? clientConnection = null;

        await RunAsync(
            async (server, stopping) => serverSawEnd.TrySetResult(await ReadToEndAsync(server.Input, stopping)),
            async (client, stopping) =>
            {
                clientConnection = client;
                await client.SendAsync("last words"u8.ToArray(), stopping);
                await client.CloseAsync(stopping);
                return [];
            },
            serverOutside: null,
            ct);

        (await serverSawEnd.Task.WaitAsync(ct)).Should().Equal("last words"u8.ToArray());
        clientConnection!.CloseReason.Should().Be(CloseReason.LocalClose);
    }

    /// <summary>
    /// Runs TLS over an in-memory pair: the server end through <paramref name="serverOutside"/> (if any), then TLS,
    /// then <paramref name="server"/>; the client end through TLS, then <paramref name="client"/>. Each end is closed
    /// when its code returns, as a server and a client owner would. Returns what <paramref name="client"/> returned.
    /// </summary>
    private static async Task<byte[]> RunAsync(
        Func<Connection, CancellationToken, Task> server,
        Func<Connection, CancellationToken, Task<byte[]>> client,
        Func<ConnectionHandler, ConnectionHandler>? serverOutside,
        CancellationToken ct)
    {
        var (clientEnd, serverEnd) = InMemoryServer.CreateConnectionPair();
        await using (clientEnd)
        await using (serverEnd)
        {
            var serverBuilder = new ConnectionBuilder();
            if (serverOutside is not null)
            {
                serverBuilder.Use(serverOutside);
            }

            var serverPipeline = serverBuilder
                .UseTls(new TlsServerOptions { ServerCertificate = TestCertificates.Localhost })
                .Build(async (connection, stopping) =>
                {
                    await server(connection, stopping);
                    await connection.CloseAsync(stopping);
                });
            byte[] result = [];
            var clientPipeline = new ConnectionBuilder()
                .UseTls(new TlsClientOptions { TargetHost = "localhost", CertificateChainPolicy = TestCertificates.TrustTestAuthority() })
                .Build(async (connection, stopping) =>
                {
                    result = await client(connection, stopping);
                    await connection.CloseAsync(stopping);
                });

            var serving = serverPipeline(serverEnd, ct);
            await clientPipeline(clientEnd, ct).WaitAsync(ct);
            await serving.WaitAsync(ct);
            return result;
        }
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader input, CancellationToken ct)
    {
        var all = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await input.ReadAsync(ct);
            foreach (var segment in result.Buffer)
            {
                all.Write(segment.Span);
            }

            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return all.WrittenSpan.ToArray();
            }
        }
    }

    private static CancellationToken Deadline()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TestTimeouts.Default);
        return source.Token;
    }

    /// <summary>A pass-through layer that records the bytes coming up from the transport (the wire, as the peer sent it).</summary>
    private sealed class RecordingLayer
    {
        private readonly ArrayBufferWriter<byte> _inbound = new();

        public byte[] Inbound
        {
            get
            {
                lock (_inbound)
                {
                    return _inbound.WrittenSpan.ToArray();
                }
            }
        }

        public Func<ConnectionHandler, ConnectionHandler> Middleware => next => (connection, cancellationToken) =>
        {
            var below = connection.Transport;
            var up = new Pipe(new PipeOptions(useSynchronizationContext: false));
            _ = PumpUpAsync(below.Input, up.Writer);
            connection.Transport = new Duplex(up.Reader, below.Output);
            return next(connection, cancellationToken);
        };

        private async Task PumpUpAsync(PipeReader from, PipeWriter to)
        {
            Exception? error = null;
            try
            {
                while (true)
                {
                    var result = await from.ReadAsync();
                    foreach (var segment in result.Buffer)
                    {
                        lock (_inbound)
                        {
                            _inbound.Write(segment.Span);
                        }

                        to.Write(segment.Span);
                    }

                    from.AdvanceTo(result.Buffer.End);
                    var flush = await to.FlushAsync();
                    if (result.IsCompleted || flush.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (Exception ex)
            {
                error = ex;
            }

            await to.CompleteAsync(error);
            await from.CompleteAsync(error);
        }

        private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
        {
            public PipeReader Input { get; } = input;

            public PipeWriter Output { get; } = output;
        }
    }
}
