using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Redis;
using TcpToolkit.Sessions;
using TcpToolkit.Transport;

namespace TcpToolkit.Samples.ChatServer;

/// <summary>What the chat server knows about one client.</summary>
/// <param name="Name">The nickname set with <c>NICK</c>.</param>
public sealed record ChatUser(string Name);

/// <summary>
/// A line-based chat server on the session registry (issue #16). Each line (LF, an optional CR before it is ignored) is
/// one command: <c>NICK &lt;name&gt;</c>, <c>JOIN &lt;room&gt;</c>, <c>LEAVE &lt;room&gt;</c>, <c>SAY &lt;room&gt; &lt;text&gt;</c>.
/// Every member of the room, the sender too, receives <c>&lt;room&gt; &lt;name&gt;: &lt;text&gt;</c>; with
/// <c>--redis</c>, so do the members on every other instance that shares the Redis. A command that is unknown or
/// malformed gets <c>ERR &lt;reason&gt;</c> and the connection stays open. Successful commands get no reply.
/// </summary>
public static class ChatServerApp
{
    /// <summary>Usage line.</summary>
    public const string Usage = "Usage: ChatServer [--host 127.0.0.1] [--port 65432] [--redis HOST:PORT] [--verbose]";

    /// <summary>The longest line a client may send (longer ones get <c>ERR</c> and are skipped).</summary>
    public const int MaxLineLength = 4096;

    private const int MaxNameLength = 32;
    private const int MaxRoomLength = 64;

    private static readonly DelimiterCodecOptions s_lines = new() { MaxFrameLength = MaxLineLength, RecoveryPolicy = FrameRecoveryPolicy.Discard };
    private static readonly DelimiterFrameEncoder s_encoder = new(DelimiterCodecOptions.LineFeed);

    /// <summary>Runs the server until <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="stdout">Where status lines are printed (logs go to stderr).</param>
    /// <param name="listening">Called with the bound endpoint once the server listens (tests use port 0).</param>
    /// <param name="cancellationToken">Stops the server.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, Action<EndPoint>? listening, CancellationToken cancellationToken)
    {
        var parsed = SampleArgs.Parse(args, "--verbose");
        var host = parsed.Get("--host", "127.0.0.1");
        var redis = parsed.Has("--redis") ? parsed.Get("--redis", "") : null;
        if (parsed.Positional.Count > 0 || !IPAddress.TryParse(host, out var address)
            || !int.TryParse(parsed.Get("--port", "65432"), System.Globalization.CultureInfo.InvariantCulture, out var port)
            || port is < 0 or > IPEndPoint.MaxPort || redis is "")
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return 1;
        }

        using var loggerFactory = LoggerFactory.Create(builder => builder
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace) // logs on stderr, the protocol's status lines on stdout
            .AddFilter((category, level) => level >= (parsed.Has("--verbose") ? LogLevel.Debug : LogLevel.Information)
                && (parsed.Has("--verbose") || category?.StartsWith("TcpToolkit.Transport", StringComparison.Ordinal) != true)));

        await using var backplane = redis is null
            ? null
            : await RedisSessionBackplane.ConnectAsync(
                new RedisSessionBackplaneOptions { Configuration = redis, Channel = "tcptoolkit:chat", LoggerFactory = loggerFactory },
                cancellationToken).ConfigureAwait(false);
        await using var sessions = new SessionRegistry<ChatUser>(new SessionRegistryOptions
        {
            Backplane = backplane,
            SendQueueFullPolicy = SendQueueFullPolicy.Disconnect, // a chat client that cannot keep up reconnects rather than miss lines
            LoggerFactory = loggerFactory,
        });

        var options = new TcpServerOptions { EndPoints = { new IPEndPoint(address, port) }, LoggerFactory = loggerFactory };
        options.Middleware.Use(sessions.Middleware);
        await using var server = new TcpServer(options, async (connection, stopping) =>
        {
            await stdout.WriteLineAsync("Connected by " + GuideFormat.Address(connection.RemoteEndPoint)).ConfigureAwait(false);
            await ServeAsync(sessions, connection, stopping).ConfigureAwait(false);
        });
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TcpBindException ex)
        {
            await stdout.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }

        await stdout.WriteLineAsync("Listening on " + GuideFormat.Address(server.LocalEndPoint)).ConfigureAwait(false);
        if (backplane is not null)
        {
            await stdout.WriteLineAsync($"Sharing rooms through Redis at {redis} (channel {backplane.Channel})").ConfigureAwait(false);
        }

        listening?.Invoke(server.LocalEndPoint);
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var stopped = await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await stdout.WriteLineAsync($"Stopped: {stopped}").ConfigureAwait(false);
        return 0;
    }

    /// <summary>Reads commands until the client closes; every reply and room line goes through the client's session.</summary>
    private static async Task ServeAsync(SessionRegistry<ChatUser> sessions, Connection connection, CancellationToken stopping)
    {
        var session = connection.GetFeature<Session<ChatUser>>()!;
        var reader = new FrameReader(connection.Input);
        var decoder = new DelimiterFrameDecoder(s_lines);
        var discarded = 0L;
        while (await reader.ReadAsync(decoder, stopping).ConfigureAwait(false) is { HasFrame: true } result)
        {
            if (decoder.DiscardedFrameCount != discarded)
            {
                discarded = decoder.DiscardedFrameCount;
                Reply(session, $"ERR line too long (at most {MaxLineLength} bytes)");
            }

            var line = Encoding.UTF8.GetString(result.Frame).TrimEnd('\r');
            if (Execute(sessions, session, line) is { } error)
            {
                Reply(session, "ERR " + error);
            }
        }
    }

    /// <summary>Runs one command; returns the error's reason, or <see langword="null"/> when it succeeded.</summary>
    private static string? Execute(SessionRegistry<ChatUser> sessions, Session<ChatUser> session, string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var verb = space < 0 ? line : line[..space];
        var rest = space < 0 ? string.Empty : line[(space + 1)..];
        switch (verb)
        {
            case "NICK":
                if (!IsWord(rest, MaxNameLength))
                {
                    return $"usage: NICK <name> (one word, at most {MaxNameLength} characters)";
                }

                session.State = new ChatUser(rest);
                return null;
            case "JOIN":
                if (!IsWord(rest, MaxRoomLength))
                {
                    return $"usage: JOIN <room> (one word, at most {MaxRoomLength} characters)";
                }

                session.Join(rest);
                return null;
            case "LEAVE":
                if (!IsWord(rest, MaxRoomLength))
                {
                    return "usage: LEAVE <room>";
                }

                return session.Leave(rest) ? null : $"not in room {rest}";
            case "SAY":
                var split = rest.IndexOf(' ', StringComparison.Ordinal);
                if (split <= 0 || split == rest.Length - 1)
                {
                    return "usage: SAY <room> <text>";
                }

                var room = rest[..split];
                if (session.State is not { } user)
                {
                    return "no nickname yet: send NICK <name> first";
                }

                if (!session.GetGroups().Contains(room))
                {
                    return $"not in room {room}: send JOIN {room} first";
                }

                sessions.BroadcastToGroup(room, s_encoder, (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"{room} {user.Name}: {rest[(split + 1)..]}"));
                return null;
            case "":
                return "empty command";
            default:
                return $"unknown command {verb} (NICK, JOIN, LEAVE, SAY)";
        }
    }

    private static bool IsWord(string text, int maxLength) =>
        text.Length is > 0 && text.Length <= maxLength && !text.AsSpan().ContainsAny(" \t");

    private static void Reply(Session<ChatUser> session, string text) =>
        session.Send(s_encoder, (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(text));
}
