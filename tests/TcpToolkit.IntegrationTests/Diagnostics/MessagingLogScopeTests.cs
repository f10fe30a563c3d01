using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using TcpToolkit.Messaging;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>
/// Issue #14: a message session logs within a scope holding its connection id, its handlers included (they run on
/// the thread pool, not in the session's own flow), so an operator can tell a handler's events apart by connection.
/// </summary>
public sealed class MessagingLogScopeTests
{
    [Fact]
    public async Task Handler_LogsAndFails_EventsCarryTheSessionsConnectionIdScope()
    {
        var ct = TestServers.Timeout();
        using var loggerFactory = new LoggerFactory();
        var collector = new FakeLogCollector();
        loggerFactory.AddProvider(new FakeLoggerProvider(collector));
        var appLogger = loggerFactory.CreateLogger("App");
        var session = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var messages = new MessageServer(new MessageServerOptions { LoggerFactory = loggerFactory })
            .Map("fail", (request, _) =>
            {
                session.TrySetResult(request.Session.Id);
                appLogger.Log(LogLevel.Information, new EventId(9001, "AppHandled"), "handled", null, static (state, _) => state);
                throw new InvalidOperationException("The handler failed on purpose.");
            });
        await using var server = await TestServers.StartAsync(messages.HandleConnectionAsync);
        await using var client = new MessageClient(server.LocalEndPoint, new MessageClientOptions { HeartbeatInterval = null });
        await client.StartAsync(ct);

        await client.Invoking(c => c.SendRequestAsync("fail", ReadOnlyMemory<byte>.Empty, ct).AsTask()).Should().ThrowAsync<RemoteErrorException>();

        var id = await session.Task.WaitAsync(ct);
        var records = collector.GetSnapshot();
        foreach (var eventId in new[] { 9001, 301 }) // the handler's own event, and HandlerFaulted
        {
            var record = records.Should().ContainSingle(r => r.Id.Id == eventId).Subject;
            record.Scopes.OfType<IEnumerable<KeyValuePair<string, object?>>>().SelectMany(scope => scope)
                .Should().Contain(new KeyValuePair<string, object?>("ConnectionId", id), $"event {eventId} happened in the session of connection {id}");
        }
    }
}
