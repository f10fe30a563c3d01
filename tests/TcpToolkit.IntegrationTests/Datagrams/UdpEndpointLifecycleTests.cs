using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using TcpToolkit.Datagrams;

namespace TcpToolkit.IntegrationTests.Datagrams;

/// <summary>Binding, reading rules and disposal of a <see cref="UdpEndpoint"/>.</summary>
public sealed class UdpEndpointLifecycleTests
{
    [Fact]
    public async Task Bind_PortInUse_ThrowsUdpBindExceptionWithTheSocketError()
    {
        await using var first = DatagramTestHelpers.BindLoopback();

        var act = () => UdpEndpoint.Bind(first.LocalEndPoint);

        var thrown = act.Should().Throw<UdpBindException>().Which;
        thrown.SocketError.Should().Be(SocketError.AddressAlreadyInUse);
        thrown.EndPoint.Should().Be(first.LocalEndPoint);
    }

    [Fact]
    public async Task DisposeAsync_ReaderWaiting_ReadEndsCleanly()
    {
        var ct = TestServers.Timeout();
        var endpoint = DatagramTestHelpers.BindLoopback();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(
            async () =>
            {
                var count = 0;
                var enumerator = endpoint.ReadAllAsync(ct).GetAsyncEnumerator(ct);
                await using (enumerator)
                {
                    var next = enumerator.MoveNextAsync();
                    started.SetResult();
                    while (await next)
                    {
                        count++;
                        next = enumerator.MoveNextAsync();
                    }
                }

                return count;
            },
            ct);
        await started.Task.WaitAsync(ct);

        await endpoint.DisposeAsync();

        (await reader.WaitAsync(ct)).Should().Be(0);
    }

    [Fact]
    public async Task ReadAllAsync_AfterDispose_EndsAtOnce()
    {
        var ct = TestServers.Timeout();
        var endpoint = DatagramTestHelpers.BindLoopback();
        await endpoint.DisposeAsync();

        var count = 0;
        await foreach (var datagram in endpoint.ReadAllAsync(ct))
        {
            count++;
        }

        count.Should().Be(0);
    }

    [Fact]
    public async Task DisposeAsync_DatagramsQueuedAndOneHeld_AllBuffersReturned()
    {
        var ct = TestServers.Timeout();
        var receiver = DatagramTestHelpers.BindLoopback();
        await using var sender = DatagramTestHelpers.BindLoopback();
        for (var i = 0; i < 5; i++)
        {
            await sender.SendToAsync(new byte[100 + i], receiver.LocalEndPoint, ct);
        }

        await receiver.WaitForReceivedAsync(5).WaitAsync(ct);
        receiver.OutstandingBuffers.Should().Be(5);

        var enumerator = receiver.ReadAllAsync(ct).GetAsyncEnumerator(ct);
        (await enumerator.MoveNextAsync()).Should().BeTrue();
        var held = enumerator.Current;
        held.Length.Should().Be(100);

        await receiver.DisposeAsync();

        // The queued four went back at disposal; the held one goes back when the reader moves on, and the read ends.
        receiver.OutstandingBuffers.Should().Be(1);
        (await enumerator.MoveNextAsync()).Should().BeFalse();
        await enumerator.DisposeAsync();
        receiver.OutstandingBuffers.Should().Be(0);
        var touch = () => held.Payload;
        touch.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public async Task Datagram_UsedAfterTheReaderMovedOn_Throws()
    {
        var ct = TestServers.Timeout();
        await using var receiver = DatagramTestHelpers.BindLoopback();
        await using var sender = DatagramTestHelpers.BindLoopback();
        await sender.SendToAsync("a"u8.ToArray(), receiver.LocalEndPoint, ct);
        await sender.SendToAsync("b"u8.ToArray(), receiver.LocalEndPoint, ct);

        Datagram first = default;
        var index = 0;
        await foreach (var datagram in receiver.ReadAllAsync(ct))
        {
            if (index++ == 0)
            {
                first = datagram;
                first.Payload.ToArray().Should().Equal("a"u8.ToArray());
                continue;
            }

            datagram.Payload.ToArray().Should().Equal("b"u8.ToArray());
            break;
        }

        var act = () => first.Payload;
        act.Should().Throw<InvalidOperationException>().WithMessage("*released*");
    }

    [Fact]
    public async Task ReadAllAsync_SecondReaderAtTheSameTime_Throws()
    {
        var ct = TestServers.Timeout();
        var endpoint = DatagramTestHelpers.BindLoopback();
        var first = endpoint.ReadAllAsync(ct).GetAsyncEnumerator(ct);
        var pending = first.MoveNextAsync();

        var second = async () =>
        {
            await foreach (var datagram in endpoint.ReadAllAsync(ct))
            {
            }
        };

        await second.Should().ThrowAsync<InvalidOperationException>();
        pending.IsCompleted.Should().BeFalse("the first reader is still waiting, undisturbed");

        // An iterator cannot be disposed during a MoveNextAsync: end the read first, by disposing the endpoint.
        await endpoint.DisposeAsync();
        (await pending.AsTask().WaitAsync(ct)).Should().BeFalse();
        await first.DisposeAsync();
    }

    [Fact]
    public async Task ReadAllAsync_Cancelled_ThrowsAndTheEndpointKeepsReceiving()
    {
        var ct = TestServers.Timeout();
        await using var receiver = DatagramTestHelpers.BindLoopback();
        await using var sender = DatagramTestHelpers.BindLoopback();
        using var cancel = new CancellationTokenSource();
        var read = DatagramTestHelpers.ReceiveOneAsync(receiver, cancel.Token);

        await cancel.CancelAsync();

        await ((Func<Task>)(() => read)).Should().ThrowAsync<OperationCanceledException>();
        await sender.SendToAsync("later"u8.ToArray(), receiver.LocalEndPoint, ct);
        (await DatagramTestHelpers.ReceiveOneAsync(receiver, ct)).Payload.Should().Equal("later"u8.ToArray());
    }

    [Fact]
    public async Task DisposeAsync_Twice_SecondDoesNothingAndSendsThrowObjectDisposed()
    {
        var endpoint = DatagramTestHelpers.BindLoopback();
        var target = new IPEndPoint(IPAddress.Loopback, 9);

        await endpoint.DisposeAsync();
        await endpoint.DisposeAsync();

        var send = async () => await endpoint.SendToAsync(new byte[1], target);
        await send.Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task BindAndDispose_LogBoundAndClosedWithTheCounters()
    {
        var ct = TestServers.Timeout();
        using var loggerFactory = new LoggerFactory();
        var collector = new FakeLogCollector();
        loggerFactory.AddProvider(new FakeLoggerProvider(collector));
        var receiver = DatagramTestHelpers.BindLoopback(new UdpEndpointOptions { LoggerFactory = loggerFactory });
        await using var sender = DatagramTestHelpers.BindLoopback();
        await sender.SendToAsync("x"u8.ToArray(), receiver.LocalEndPoint, ct);
        await DatagramTestHelpers.ReceiveOneAsync(receiver, ct);

        await receiver.DisposeAsync();

        var records = collector.GetSnapshot();
        records.Should().Contain(r => r.Id.Id == 500 && r.Level == LogLevel.Information);
        var closed = records.Should().ContainSingle(r => r.Id.Id == 507).Which;
        closed.Message.Should().Contain("1 datagrams received, 0 dropped, 0 truncated, 0 sent");
    }

    [Fact]
    public void Options_InvalidValues_Rejected()
    {
        var options = new UdpEndpointOptions();

        ((Action)(() => options.MaxDatagramSize = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxDatagramSize = UdpEndpointOptions.MaxIPv6DatagramSize + 1)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.ReceiveQueueCapacity = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.ReceiveBufferSize = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MulticastInterfaceIndex = -1)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.LoggerFactory = null!)).Should().Throw<ArgumentNullException>();
        ((Action)(() => options.TimeProvider = null!)).Should().Throw<ArgumentNullException>();

        options.MaxDatagramSize.Should().Be(65_507);
        options.ReceiveQueueCapacity.Should().Be(256);
        options.ReceiveBufferSize.Should().BeNull();
        options.EnableBroadcast.Should().BeFalse();
        options.MulticastLoopback.Should().BeTrue();
        options.MulticastInterfaceIndex.Should().Be(0);
        options.ReceiveBufferSize = null;
    }
}
