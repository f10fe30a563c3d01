using TcpToolkit.Connections;
using TcpToolkit.Transport;
using TcpToolkit.Transport.Internal;


namespace TcpToolkit.IntegrationTests;

/// <summary>An idle connection waits for data without a pooled block, on the server and on the client.</summary>
[Collection(ProcessWideMeasurements.Name)]
public sealed class IdleBufferTests
{
    [Theory]
    [InlineData("epoll")]
    [InlineData("dotnet")]
    public async Task IdleConnections_HoldNoPooledBlock_UntilDataArrives(string engine)
    {
        var ct = TestServers.Timeout();
        const int Count = 20;
        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dotnet = engine == "dotnet";
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                if (Interlocked.Increment(ref started) == Count)
                {
                    allStarted.TrySetResult();
                }

                await TestServers.EchoAsync(connection, stopping);
            },
            options => options.UseDotNetSocketEngine = dotnet);
        await using var client = new TcpClient(new TcpClientOptions { UseDotNetSocketEngine = dotnet });
        var clientBlocksBefore = PinnedBlockMemoryPool.SharedClientPool.BytesInUse;
        var connections = new List<Connection>();
        for (var i = 0; i < Count; i++)
        {
            connections.Add(await client.ConnectAsync(server.LocalEndPoint, ct));
        }

        await allStarted.Task.WaitAsync(ct);

        server.BufferBytesInUse.Should().Be(0, "an idle server connection waits for data without a block");
        (PinnedBlockMemoryPool.SharedClientPool.BytesInUse - clientBlocksBefore).Should().Be(0, "so does an idle client connection");

        // And they work: one round trip each.
        foreach (var connection in connections)
        {
            await connection.SendAsync("ping"u8.ToArray(), ct);
            await connection.Output.CompleteAsync();
            (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal("ping"u8.ToArray());
            await connection.DisposeAsync();
        }
    }
}
