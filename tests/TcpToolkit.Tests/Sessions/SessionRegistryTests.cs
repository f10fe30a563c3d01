using TcpToolkit.Connections;
using TcpToolkit.IntegrationTests;
using TcpToolkit.Sessions;
using static TcpToolkit.Tests.Sessions.SessionHarness;

namespace TcpToolkit.Tests.Sessions;

/// <summary>
/// The registry as middleware on the in-memory transport: sessions found by id with typed state, groups joined and
/// left (and left on close), broadcasts to all, a group or all but one, replies queued behind broadcasts, a graceful
/// close that writes what is queued, and the drain bound for a peer that never reads.
/// </summary>
public sealed class SessionRegistryTests
{
    [Fact]
    public async Task Middleware_OpenConnection_IsASessionFoundByIdWithItsTypedState()
    {
        var ct = Deadline();
        await using var harness = new SessionHarness();
        var (client, session) = await harness.ConnectAsync(ct);
        await using var disposeClient = client;

        session.State = new Member("ann");

        harness.Registry.Count.Should().Be(1);
        harness.Registry.TryGetSession(session.Id, out var found).Should().BeTrue();
        found.Should().BeSameAs(session);
        found!.State.Should().Be(new Member("ann"));
        harness.Registry.GetSessions().Should().Equal(session);
        session.Connection.GetFeature<Session<Member>>().Should().BeSameAs(session);
        harness.Registry.TryGetSession("no-such-id", out _).Should().BeFalse();
    }

    [Fact]
    public async Task Middleware_ManyConnections_IdsAreUnique()
    {
        var ct = Deadline();
        await using var harness = new SessionHarness();
        var clients = new List<Connection>();
        for (var i = 0; i < 50; i++)
        {
            clients.Add((await harness.ConnectAsync(ct)).Client);
        }

        harness.Registry.GetSessions().Select(s => s.Id).Should().OnlyHaveUniqueItems().And.HaveCount(50);
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Middleware_HandlerReturns_SessionLeavesTheRegistryAndEveryGroup()
    {
        var ct = Deadline();
        await using var harness = new SessionHarness();
        var (client, session) = await harness.ConnectAsync(ct);
        session.Join("a").Should().BeTrue();
        session.Join("b").Should().BeTrue();
        var closed = ClosedAsync(session);

        await client.Output.CompleteAsync();
        await closed.WaitAsync(ct);

        harness.Registry.Count.Should().Be(0);
        harness.Registry.GetGroupNames().Should().BeEmpty();
        harness.Registry.TryGetSession(session.Id, out _).Should().BeFalse();
        session.Join("c").Should().BeFalse("a closed session joins nothing");
        harness.Registry.GetGroupNames().Should().BeEmpty();
        await client.DisposeAsync();
    }

    [Fact]
    public async Task JoinAndLeave_GroupsCountTheirMembersAndDisappearWithTheLast()
    {
        var ct = Deadline();
        await using var harness = new SessionHarness();
        var (c1, s1) = await harness.ConnectAsync(ct);
        var (c2, s2) = await harness.ConnectAsync(ct);
        await using var d1 = c1;
        await using var d2 = c2;

        s1.Join("room").Should().BeTrue();
        s1.Join("room").Should().BeFalse("already a member");
        s2.Join("room").Should().BeTrue();
        s2.Join("other").Should().BeTrue();

        harness.Registry.GetGroupMemberCount("room").Should().Be(2);
        harness.Registry.GetGroupMembers("room").Select(s => s.Id).Should().BeEquivalentTo([s1.Id, s2.Id]);
        s2.GetGroups().Should().BeEquivalentTo(["room", "other"]);
        harness.Registry.GetGroupNames().Should().BeEquivalentTo(["room", "other"]);

        s1.Leave("room").Should().BeTrue();
        s1.Leave("room").Should().BeFalse("not a member any more");
        s2.Leave("room").Should().BeTrue();

        harness.Registry.GetGroupMemberCount("room").Should().Be(0);
        harness.Registry.GetGroupNames().Should().Equal("other");
    }

    [Fact]
    public async Task Join_InvalidName_Throws()
    {
        var ct = Deadline();
        await using var harness = new SessionHarness();
        var (client, session) = await harness.ConnectAsync(ct);
        await using var _ = client;

        session.Invoking(s => s.Join("")).Should().Throw<ArgumentException>();
        session.Invoking(s => s.Join(new string('x', 1025))).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task BroadcastToGroup_MembersOnly_EachMemberReceivesTheFrameOnce()
    {
        var ct = Deadline();
        await using var harness = new SessionHarness();
        var (inside1, s1) = await harness.ConnectAsync(ct);
        var (inside2, s2) = await harness.ConnectAsync(ct);
        var (outside, _) = await harness.ConnectAsync(ct);
        s1.Join("room");
        s2.Join("room");

        var queued = harness.Registry.BroadcastToGroup("room", Lines, Line("room message"));
        harness.Registry.Broadcast(Lines, Line("to all"));

        queued.Should().Be(2);
        (await ReadLinesAsync(inside1, 2, ct)).Should().Equal("room message", "to all");
        (await ReadLinesAsync(inside2, 2, ct)).Should().Equal("room message", "to all");
        (await ReadLinesAsync(outside, 1, ct)).Should().Equal("to all");
        harness.Registry.BroadcastToGroup("nobody-here", Lines, Line("x")).Should().Be(0);
        foreach (var client in new[] { inside1, inside2, outside })
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task BroadcastExceptAndGroupExcept_LeaveOutOneSession()
    {
        var ct = Deadline();
        await using var harness = new SessionHarness();
        var (sender, senderSession) = await harness.ConnectAsync(ct);
        var (other, otherSession) = await harness.ConnectAsync(ct);
        senderSession.Join("room");
        otherSession.Join("room");

        harness.Registry.BroadcastExcept(senderSession, Lines, Line("1 not to the sender")).Should().Be(1);
        harness.Registry.BroadcastToGroup("room", Lines, Line("2 not to the sender"), except: senderSession).Should().Be(1);
        harness.Registry.Broadcast(Lines, Line("3 to everyone"));

        (await ReadLinesAsync(other, 3, ct)).Should().Equal("1 not to the sender", "2 not to the sender", "3 to everyone");
        (await ReadLinesAsync(sender, 1, ct)).Should().Equal("3 to everyone");
        await sender.DisposeAsync();
        await other.DisposeAsync();
    }

    [Fact]
    public async Task Send_BehindBroadcasts_ArrivesInQueueOrder()
    {
        var ct = Deadline();
        await using var harness = new SessionHarness();
        var (client, session) = await harness.ConnectAsync(ct);
        await using var _ = client;

        for (var i = 0; i < 100; i++)
        {
            harness.Registry.Broadcast(Lines, Line("b" + i));
            session.Send(Lines, Line("r" + i)).Should().BeTrue();
        }

        var expected = Enumerable.Range(0, 100).SelectMany(i => new[] { "b" + i, "r" + i });
        (await ReadLinesAsync(client, 200, ct)).Should().Equal(expected);
    }

    [Fact]
    public async Task Broadcast_EncoderThrows_NothingIsQueuedAndTheBufferGoesBack()
    {
        var ct = Deadline();
        await using var harness = new SessionHarness();
        var (client, session) = await harness.ConnectAsync(ct);
        await using var _ = client;

        var act = () => harness.Registry.Broadcast(Lines, Line("two\nlines"));

        act.Should().Throw<ArgumentException>();
        session.QueuedMessageCount.Should().Be(0);
        harness.Registry.LiveFrames.Should().Be(0);
    }

    [Fact]
    public async Task CloseAsync_QueuedMessages_AreWrittenBeforeTheConnectionCloses()
    {
        var ct = Deadline();
        await using var harness = new SessionHarness();
        var (client, session) = await harness.ConnectAsync(ct);
        await using var _ = client;
        session.Join("room");
        for (var i = 0; i < 500; i++)
        {
            harness.Registry.BroadcastToGroup("room", Lines, Line("m" + i));
        }

        var reading = ReadLinesAsync(client, 500, ct);
        await session.CloseAsync(ct);

        (await reading).Should().HaveCount(500).And.EndWith("m499");
        harness.Registry.Count.Should().Be(0);
        harness.Registry.GetGroupNames().Should().BeEmpty();
        session.Connection.CloseReason.Should().Be(CloseReason.LocalClose);
    }

    [Fact]
    public async Task HandlerReturns_PeerNeverReads_QueuedMessagesAreDroppedAfterTheDrainTimeout()
    {
        var ct = Deadline();
        var time = new ObservableTimeProvider();
        await using var harness = new SessionHarness(
            new SessionRegistryOptions { TimeProvider = time, DrainTimeout = TimeSpan.FromSeconds(5) },
            readInput: false);
        var (client, session) = await harness.ConnectAsync(ct);
        await using var _ = client;
        var payload = new string('x', 1000);

        // 200 KB: more than the in-memory pipe holds unread (64 KiB), so the session's writer waits on its flush.
        for (var i = 0; i < 200; i++)
        {
            harness.Registry.Broadcast(Lines, Line(payload));
        }

        var closed = ClosedAsync(session);
        harness.Release();

        // The drain arms its timeout on the fake clock; past it the rest is dropped and the pending flush cancelled
        // (and, should a layer ignore that, a second timeout aborts the connection).
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(5), ct);
        time.Fake.Advance(TimeSpan.FromSeconds(5));
        if (await Task.WhenAny(closed, time.WaitForTimerAsync(TimeSpan.FromSeconds(5), ct)) != closed)
        {
            time.Fake.Advance(TimeSpan.FromSeconds(5));
        }

        await closed.WaitAsync(ct);
        harness.Registry.Count.Should().Be(0);

        // An abort closes the connection while the session's write loop may still be ending (it gives its frames back
        // last): the server's stop waits for the handler, and so for the registry's middleware and that loop.
        await harness.Server.StopAsync(ct);
        harness.Registry.LiveFrames.Should().Be(0, "the undelivered messages went back to the pool");
    }

    [Fact]
    public async Task ConcurrentJoinLeaveClose_ManyThreads_NoMembershipLeaks()
    {
        var ct = Deadline();
        await using var harness = new SessionHarness();
        const int SessionCount = 200;
        string[] groups = ["g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7"];
        var members = new List<(Connection Client, Session<Member> Session)>();
        for (var i = 0; i < SessionCount; i++)
        {
            members.Add(await harness.ConnectAsync(ct));
        }

        // Every session joins and leaves at random on its own thread while broadcasts run and half of the clients
        // close (their sessions leave on close), all at the same time.
        using var start = new Barrier(SessionCount + 1);
        var workers = members.Select((m, index) => Task.Factory.StartNew(
            () =>
            {
                var random = new Random(index);
                start.SignalAndWait(ct);
                for (var step = 0; step < 200; step++)
                {
                    var group = groups[random.Next(groups.Length)];
                    if (random.Next(2) == 0)
                    {
                        m.Session.Join(group);
                    }
                    else
                    {
                        m.Session.Leave(group);
                    }

                    if (step % 50 == 0)
                    {
                        harness.Registry.BroadcastToGroup(group, Lines, Line("tick"));
                    }
                }
            },
            ct,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToList();
        var closing = members.Where((_, index) => index % 2 == 0).Select(m => Task.Run(() => m.Session.Connection.Abort("test"), ct)).ToList();
        start.SignalAndWait(ct);
        await Task.WhenAll(workers.Concat(closing)).WaitAsync(ct);
        var closedSessions = members.Where((_, index) => index % 2 == 0).Select(m => ClosedAsync(m.Session));
        await Task.WhenAll(closedSessions).WaitAsync(ct);

        // The survivors' memberships are exactly what each of them says; the closed ones are in no group.
        var survivors = members.Where((_, index) => index % 2 == 1).Select(m => m.Session).ToList();
        foreach (var group in groups)
        {
            var expected = survivors.Where(s => s.GetGroups().Contains(group)).Select(s => s.Id).ToList();
            harness.Registry.GetGroupMembers(group).Select(s => s.Id).Should().BeEquivalentTo(expected, $"group {group} holds exactly its live members");
            harness.Registry.GetGroupMemberCount(group).Should().Be(expected.Count);
        }

        harness.Registry.Count.Should().Be(SessionCount / 2);

        // Then every client goes: nothing is left anywhere.
        var allClosed = survivors.Select(ClosedAsync).ToList();
        foreach (var (client, _) in members)
        {
            await client.DisposeAsync();
        }

        await Task.WhenAll(allClosed).WaitAsync(ct);
        harness.Registry.Count.Should().Be(0);
        harness.Registry.GetGroupNames().Should().BeEmpty();
        groups.Select(harness.Registry.GetGroupMemberCount).Should().AllBeEquivalentTo(0);
    }

    private static CancellationToken Deadline()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TestTimeouts.Default);
        return source.Token;
    }
}
