using System.Net.Sockets;
using System.Text;

namespace TcpToolkit.IntegrationTests.Transport;

/// <summary>
/// TCP urgent data (MSG_OOB) makes recv stop short at the urgent mark with bytes still queued behind it, and no new
/// readiness edge comes for them. An engine that takes a short read for "the socket is empty" and waits for the next
/// edge stalls the connection until the peer sends again (issue #11); .NET's engine retries and is immune.
/// </summary>
public sealed class UrgentDataTests
{
    public static TheoryData<string> Engines => new() { "epoll", "dotnet" };

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task PeerSendsUrgentDataBetweenNormalBytes_EveryNormalByteIsEchoedWithoutThePeerSendingAgain(string engine)
    {
        var ct = TestServers.Timeout();
        var prologue = Encoding.ASCII.GetBytes(new string('p', 64));
        var prologueSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                // Look at the prologue without consuming it: the receive loop is now paused (4-byte read buffer) right
                // after a short read, so what the peer sends next queues up in the socket, behind no new edge.
                var first = await connection.Input.ReadAtLeastAsync(prologue.Length, stopping);
                connection.Input.AdvanceTo(first.Buffer.Start, first.Buffer.End);
                prologueSeen.TrySetResult();
                await go.Task.WaitAsync(stopping);
                await TestServers.EchoAsync(connection, stopping);
            },
            options =>
            {
                options.UseDotNetSocketEngine = engine == "dotnet";
                options.MaxReadBufferSize = 4;
            });
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await peer.ConnectAsync(server.LocalEndPoint, ct);
        peer.Send(prologue);
        await prologueSeen.Task.WaitAsync(ct);

        // Normal bytes, then urgent data (of "uvw" only "w" is urgent: out of band, not in the stream), then more.
        peer.Send("before-"u8);
        peer.Send("uvw"u8, SocketFlags.OutOfBand);
        peer.Send("-after"u8);
        go.TrySetResult();

        var expected = Encoding.ASCII.GetString(prologue) + "before-uv-after";
        var echoed = new byte[expected.Length];
        var received = 0;
        while (received < echoed.Length)
        {
            var read = await peer.ReceiveAsync(echoed.AsMemory(received), SocketFlags.None, ct);
            read.Should().BePositive();
            received += read;
        }

        Encoding.ASCII.GetString(echoed).Should().Be(expected, "every normal byte comes back, the urgent one does not, and the peer did not have to send again");
    }
}
