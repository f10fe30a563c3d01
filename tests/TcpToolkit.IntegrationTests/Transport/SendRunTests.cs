using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Transport;

/// <summary>
/// The send side runs only while there is output (issue #17): a flush starts a send run unless one is active, and a
/// run that finds the pipe empty parks. These tests race flushes against parking runs, with and without a peer that
/// lets the socket fill (so runs wait for room and resume on the I/O loop while the handler keeps flushing).
/// </summary>
public sealed class SendRunTests
{
    private const int Records = 256 * 1024;

    /// <summary>64 B a record: 16 MiB in all, more than loopback's socket buffers and MaxWriteBufferSize hold.</summary>
    private const int RecordSize = 64;

    public static TheoryData<string, bool> EnginesAndPeers => new()
    {
        { "epoll", false },
        { "epoll", true },
        { "dotnet", false },
        { "dotnet", true },
    };

    [Theory]
    [MemberData(nameof(EnginesAndPeers))]
    public async Task ManySmallFlushes_EveryRecordArrivesOnceInOrder(string engine, bool peerReadsLate)
    {
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flushWaited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new TcpServerOptions
        {
            EndPoints = { new IPEndPoint(IPAddress.Loopback, 0) },
            UseDotNetSocketEngine = engine == "dotnet",
        };
        await using var server = new TcpServer(options, async (connection, stopping) =>
        {
            // One record per flush: each flush signals the send side, most while a run is active or parking.
            for (var i = 0; i < Records; i++)
            {
                var span = connection.Output.GetSpan(RecordSize)[..RecordSize];
                span.Fill((byte)i);
                BinaryPrimitives.WriteInt32BigEndian(span, i);
                connection.Output.Advance(RecordSize);
                var flush = connection.Output.FlushAsync(stopping);
                if (!flush.IsCompleted)
                {
                    flushWaited.TrySetResult();
                }

                await flush;
            }

            sent.TrySetResult();
        });
        await server.StartAsync(TestContext.Current.CancellationToken);

        await using var client = new TcpClient(new TcpClientOptions { UseDotNetSocketEngine = engine == "dotnet" });
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, TestContext.Current.CancellationToken);
        if (peerReadsLate)
        {
            // The socket buffers and MaxWriteBufferSize fill up: a flush waits, and the send run waits for room.
            var first = await Task.WhenAny(flushWaited.Task, sent.Task).WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
            first.Should().BeSameAs(flushWaited.Task, "16 MiB cannot all be buffered while the peer does not read");
        }

        var expected = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestTimeouts.Default);
        var record = new byte[RecordSize];
        while (expected < Records)
        {
            var result = await connection.Input.ReadAsync(timeout.Token);
            var buffer = result.Buffer;
            var consumed = 0L;
            while (buffer.Length - consumed >= RecordSize)
            {
                buffer.Slice(consumed, RecordSize).CopyTo(record);
                if (BinaryPrimitives.ReadInt32BigEndian(record) != expected || record[^1] != (byte)expected)
                {
                    Assert.Fail($"record {expected} arrived as {BinaryPrimitives.ReadInt32BigEndian(record)} (last byte {record[^1]}): records must arrive once, in order, intact");
                }

                expected++;
                consumed += RecordSize;
            }

            connection.Input.AdvanceTo(buffer.GetPosition(consumed), buffer.End);

            // The last read may bring the server's FIN with the last records (a peer that reads late always lags the
            // close): only an end before every record came is a failure.
            if (result.IsCompleted)
            {
                expected.Should().Be(Records, "the server sends {0} records before it closes", Records);
            }
        }

        await sent.Task.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
    }
}
