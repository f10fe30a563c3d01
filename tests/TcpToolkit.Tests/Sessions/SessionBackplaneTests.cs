using System.Buffers;
using TcpToolkit.IntegrationTests;
using TcpToolkit.Sessions;
using TcpToolkit.Sessions.Internal;
using static TcpToolkit.Tests.Sessions.SessionHarness;

namespace TcpToolkit.Tests.Sessions;

/// <summary>
/// The backplane seam without Redis: registries on one in-process bus deliver each other's broadcasts to their members
/// exactly once and in publish order; a failing bus leaves local delivery alone, the publish is retried on the
/// registry's clock, duplicates are dropped, gaps are counted, and the outage shows in IsBackplaneConnected.
/// </summary>
public sealed class SessionBackplaneTests
{
    [Fact]
    public async Task BroadcastToGroup_TwoRegistriesOnOneBus_EveryMemberGetsEveryMessageOnceInOrder()
    {
        var ct = Deadline();
        var bus = new LoopbackBus();
        await using var a = new SessionHarness(new SessionRegistryOptions { Backplane = bus.Join() });
        await using var b = new SessionHarness(new SessionRegistryOptions { Backplane = bus.Join() });
        var (a1, s1) = await a.ConnectAsync(ct);
        var (b1, s2) = await b.ConnectAsync(ct);
        var (b2, _) = await b.ConnectAsync(ct);
        s1.Join("room");
        s2.Join("room");

        for (var i = 0; i < 300; i++)
        {
            (i % 2 == 0 ? a : b).Registry.BroadcastToGroup("room", Lines, Line("m" + i));
        }

        a.Registry.Broadcast(Lines, Line("to all"));

        var expected = Enumerable.Range(0, 300).Select(i => "m" + i).ToList();
        var fromA = expected.Where((_, i) => i % 2 == 0).Append("to all").ToList();
        var atA = await ReadLinesAsync(a1, 301, ct);
        var atB = await ReadLinesAsync(b1, 301, ct);
        atA.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(expected.Append("to all"));
        atB.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(expected.Append("to all"));
        atB.Where(fromA.Contains).Should().Equal(fromA, "one instance's messages arrive in publish order");
        (await ReadLinesAsync(b2, 1, ct)).Should().Equal(["to all"], "b2 is in no group");
        a.Registry.IsBackplaneConnected.Should().BeTrue();
        b.Registry.BackplaneMissedMessageCount.Should().Be(0);
        foreach (var client in new[] { a1, b1, b2 })
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Publish_BusDown_LocalDeliveryGoesOnAndTheRetryDeliversEachMessageOnce()
    {
        var ct = Deadline();
        var time = new ObservableTimeProvider();
        var bus = new LoopbackBus();
        var failing = bus.Join();
        await using var a = new SessionHarness(new SessionRegistryOptions { Backplane = failing, TimeProvider = time, BackplaneRetryDelay = TimeSpan.FromSeconds(1) });
        await using var b = new SessionHarness(new SessionRegistryOptions { Backplane = bus.Join() });
        var (local, localSession) = await a.ConnectAsync(ct);
        var (remote, remoteSession) = await b.ConnectAsync(ct);
        localSession.Join("room");
        remoteSession.Join("room");

        // The bus takes the first message but reports a failure (a lost reply): the retry would deliver it twice.
        failing.FailNext(deliverAnyway: true);
        a.Registry.BroadcastToGroup("room", Lines, Line("first"));
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(1), ct);
        failing.FailNext(deliverAnyway: false);
        a.Registry.BroadcastToGroup("room", Lines, Line("second"));

        (await ReadLinesAsync(local, 2, ct)).Should().Equal("first", "second");
        a.Registry.IsBackplaneConnected.Should().BeFalse("the last publish failed");
        time.Fake.Advance(TimeSpan.FromSeconds(1));
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(1), ct);
        time.Fake.Advance(TimeSpan.FromSeconds(1));

        (await ReadLinesAsync(remote, 2, ct)).Should().Equal("first", "second");
        a.Registry.BroadcastToGroup("room", Lines, Line("third"));
        (await ReadLinesAsync(remote, 1, ct)).Should().Equal(["third"], "the duplicate of 'first' was dropped");
        b.Registry.BackplaneDuplicateCount.Should().Be(1);
        b.Registry.BackplaneMissedMessageCount.Should().Be(0);
        a.Registry.IsBackplaneConnected.Should().BeTrue();
        await local.DisposeAsync();
        await remote.DisposeAsync();
    }

    [Fact]
    public async Task Receive_MessagesLostOnTheBus_TheGapIsCounted()
    {
        var ct = Deadline();
        var bus = new LoopbackBus();
        var lossy = bus.Join();
        await using var a = new SessionHarness(new SessionRegistryOptions { Backplane = lossy });
        await using var b = new SessionHarness(new SessionRegistryOptions { Backplane = bus.Join() });
        var (remote, _) = await b.ConnectAsync(ct);

        a.Registry.Broadcast(Lines, Line("1"));
        (await ReadLinesAsync(remote, 1, ct)).Should().Equal("1");
        lossy.DropNext(3);
        for (var i = 2; i <= 6; i++)
        {
            a.Registry.Broadcast(Lines, Line(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        (await ReadLinesAsync(remote, 2, ct)).Should().Equal("5", "6");
        b.Registry.BackplaneMissedMessageCount.Should().Be(3);
        await remote.DisposeAsync();
    }

    [Fact]
    public async Task Receive_MalformedMessage_IsIgnoredAndDeliveryGoesOn()
    {
        var ct = Deadline();
        var bus = new LoopbackBus();
        var raw = bus.Join();
        await using var a = new SessionHarness(new SessionRegistryOptions { Backplane = bus.Join() });
        await using var b = new SessionHarness(new SessionRegistryOptions { Backplane = bus.Join() });
        var (remote, _) = await b.ConnectAsync(ct);

        await raw.PublishAsync(new byte[] { 0, 0, 0, 9, 1, 2 }, ct);
        await raw.PublishAsync(new byte[] { 0, 0, 0, 2, 7, 7 }, ct);
        a.Registry.Broadcast(Lines, Line("still fine"));

        (await ReadLinesAsync(remote, 1, ct)).Should().Equal("still fine");
        await remote.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_Registry_UnsubscribesFromTheBus()
    {
        var bus = new LoopbackBus();
        var backplane = bus.Join();
        var harness = new SessionHarness(new SessionRegistryOptions { Backplane = backplane });

        await harness.DisposeAsync();

        backplane.HasSubscriber.Should().BeFalse();
        harness.Registry.Invoking(r => r.Broadcast(Lines, Line("x"))).Should().Throw<ObjectDisposedException>();
    }

    private static CancellationToken Deadline()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TestTimeouts.Default);
        return source.Token;
    }

    /// <summary>An in-process bus: every backplane joined to it receives every message published on it, in order.</summary>
    private sealed class LoopbackBus
    {
        private readonly Lock _lock = new();
        private readonly List<LoopbackBackplane> _members = [];

        public LoopbackBackplane Join()
        {
            var member = new LoopbackBackplane(this);
            lock (_lock)
            {
                _members.Add(member);
            }

            return member;
        }

        public void Publish(ReadOnlyMemory<byte> message)
        {
            // One lock around the whole delivery: calls to each receiver come one at a time and in publish order.
            lock (_lock)
            {
                foreach (var member in _members)
                {
                    member.Deliver(message);
                }
            }
        }
    }

    /// <summary>One instance's view of the bus, with faults to inject.</summary>
    private sealed class LoopbackBackplane(LoopbackBus bus) : ISessionBackplane
    {
        private Action<ReadOnlyMemory<byte>>? _receive;
        private int _fail;
        private bool _deliverAnyway;
        private int _drop;

        public bool IsConnected => Volatile.Read(ref _fail) == 0;

        public bool HasSubscriber => Volatile.Read(ref _receive) is not null;

        /// <summary>The next publish throws, after delivering the message when <paramref name="deliverAnyway"/>.</summary>
        public void FailNext(bool deliverAnyway)
        {
            _deliverAnyway = deliverAnyway;
            Interlocked.Increment(ref _fail);
        }

        /// <summary>The next <paramref name="count"/> publishes succeed but reach nobody.</summary>
        public void DropNext(int count) => Interlocked.Add(ref _drop, count);

        public IDisposable Subscribe(Action<ReadOnlyMemory<byte>> receive)
        {
            Volatile.Write(ref _receive, receive);
            return new Unsubscribe(this);
        }

        public ValueTask PublishAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
        {
            if (Volatile.Read(ref _fail) > 0)
            {
                Interlocked.Decrement(ref _fail);
                if (_deliverAnyway)
                {
                    bus.Publish(message.ToArray());
                }

                throw new IOException("The bus is down.");
            }

            if (Volatile.Read(ref _drop) > 0)
            {
                // A backplane message is a batch of broadcasts: lose the first ones, pass the rest on.
                var kept = new ArrayBufferWriter<byte>();
                var batch = message.Span;
                while (BackplaneEnvelope.TryNext(ref batch, out var envelope, out _))
                {
                    if (Volatile.Read(ref _drop) > 0)
                    {
                        Interlocked.Decrement(ref _drop);
                        continue;
                    }

                    System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(kept.GetSpan(4), envelope.Length);
                    kept.Advance(4);
                    kept.Write(envelope);
                }

                if (kept.WrittenCount > 0)
                {
                    bus.Publish(kept.WrittenMemory.ToArray());
                }

                return ValueTask.CompletedTask;
            }

            bus.Publish(message.ToArray());
            return ValueTask.CompletedTask;
        }

        public void Deliver(ReadOnlyMemory<byte> message) => Volatile.Read(ref _receive)?.Invoke(message);

        private sealed class Unsubscribe(LoopbackBackplane owner) : IDisposable
        {
            public void Dispose() => Volatile.Write(ref owner._receive, null);
        }
    }
}
