using System.CommandLine;
using System.Globalization;
using System.Net;
using TcpToolkit.Cli.Bench;
using TcpToolkit.Cli.Metrics;

namespace TcpToolkit.Cli;

/// <summary>The <c>tcptk</c> command line: listen, connect, echo-server and bench.</summary>
internal static class TcptkCommand
{
    /// <param name="stdout">The commands' output: bench's result, echo-server's metrics.</param>
    /// <param name="stderr">Diagnostics and bench's progress.</param>
    /// <param name="terminal">What the streams are (a terminal gets an in-place progress line and a drawn histogram); default: redirected.</param>
    public static RootCommand Create(TextWriter stdout, TextWriter stderr, Terminal? terminal = null)
    {
        terminal ??= Terminal.Redirected;
        var root = new RootCommand("tcptk: TCP listen/connect over stdin/stdout, an echo server and an end-to-end load generator, on TcpToolkit.")
        {
            CreateListen(stderr),
            CreateConnect(stderr),
            CreateEchoServer(stdout, stderr),
            CreateBench(stdout, stderr, terminal),
        };
        return root;
    }

    private static Option<string> HostOption(string defaultHost) => new("--host")
    {
        Description = "The IP address or host name.",
        DefaultValueFactory = _ => defaultHost,
    };

    private static Option<int> PortOption(int? defaultPort)
    {
        var option = new Option<int>("--port", "-p") { Description = "The TCP port (0 = any free port when listening)." };
        if (defaultPort is { } port)
        {
            option.DefaultValueFactory = _ => port;
        }
        else
        {
            option.Required = true;
        }

        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 65535)
            {
                result.AddError("--port must be between 0 and 65535.");
            }
        });
        return option;
    }

    private static Option<string> FramingOption(params string[] allowed)
    {
        var option = new Option<string>("--framing", "-f")
        {
            Description = "The wire format: " + string.Join('|', allowed) + " (length16/length32 = 2/4-byte big-endian length, then the payload; line = payload + LF).",
            DefaultValueFactory = _ => "raw",
        };
        option.AcceptOnlyFromAmong(allowed);
        return option;
    }

    private static Command CreateListen(TextWriter stderr)
    {
        var host = HostOption("127.0.0.1");
        var port = PortOption(defaultPort: null);
        var framing = FramingOption(Codecs.Names);
        var tls = new ServerTlsArguments();
        var command = new Command("listen", "Accepts one connection and joins it to stdin/stdout (framed codecs: one stdin line = one frame, one frame = one stdout line).")
        {
            host, port, framing,
        };
        tls.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            using var stdin = Console.OpenStandardInput();
            using var stdout = Console.OpenStandardOutput();
            return await StdioCommands.ListenAsync(
                Endpoint(result.GetValue(host)!, result.GetValue(port)),
                Codecs.Parse(result.GetValue(framing)!),
                tls.Settings(result),
                stdin,
                stdout,
                stderr,
                listening: null,
                cancellationToken);
        });
        return command;
    }

    private static Command CreateConnect(TextWriter stderr)
    {
        var host = HostOption("127.0.0.1");
        var port = PortOption(defaultPort: null);
        var framing = FramingOption(Codecs.Names);
        var tls = new ClientTlsArguments();
        var command = new Command("connect", "Connects and joins the connection to stdin/stdout (framed codecs: one stdin line = one frame, one frame = one stdout line).")
        {
            host, port, framing,
        };
        tls.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            using var stdin = Console.OpenStandardInput();
            using var stdout = Console.OpenStandardOutput();
            return await StdioCommands.ConnectAsync(
                result.GetValue(host)!,
                result.GetValue(port),
                Codecs.Parse(result.GetValue(framing)!),
                tls.Settings(result),
                stdin,
                stdout,
                stderr,
                cancellationToken);
        });
        return command;
    }

    /// <summary>
    /// <c>--busy-poll</c>: the epoll engine's <c>TcpToolkit.BusyPoll</c> setting, set with AppContext.SetData before
    /// anything opens a socket (the engine reads it once, when its loops start).
    /// </summary>
    private static Option<string> BusyPollOption()
    {
        var option = new Option<string>("--busy-poll")
        {
            Description = "Linux epoll engine: poll after each batch of events before blocking: adaptive (while it pays off), off, or always (lowest latency, most CPU).",
            DefaultValueFactory = _ => "adaptive",
        };
        option.AcceptOnlyFromAmong("adaptive", "off", "always");
        return option;
    }

    private static void ApplyBusyPoll(ParseResult result, Option<string> busyPoll)
        => AppContext.SetData("TcpToolkit.BusyPoll", result.GetValue(busyPoll));

    private static Command CreateEchoServer(TextWriter stdout, TextWriter stderr)
    {
        var host = HostOption("127.0.0.1");
        var port = PortOption(defaultPort: 65432);
        var framing = FramingOption(Codecs.Names);
        var busyPoll = BusyPollOption();
        var metrics = new Option<bool>("--metrics")
        {
            Description = "Print the server's own instruments (the TcpToolkit meter) to stdout once a second: counters as total and rate, up-down counters and gauges as values, histograms as count, p50, p99 and max of the last second.",
        };
        var tls = new ServerTlsArguments();
        var command = new Command("echo-server", "Echoes every connection until Ctrl+C: raw bytes, or each decoded frame re-encoded; over TLS with --tls.")
        {
            host, port, framing, busyPoll, metrics,
        };
        tls.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            ApplyBusyPoll(result, busyPoll);
            return EchoService.RunAsync(
                Endpoint(result.GetValue(host)!, result.GetValue(port)),
                Codecs.Parse(result.GetValue(framing)!),
                tls.Settings(result),
                result.GetValue(metrics) ? new MetricsOptions(stdout) : null,
                stderr,
                listening: null,
                cancellationToken);
        });
        return command;
    }

    private static Command CreateBench(TextWriter stdout, TextWriter stderr, Terminal terminal)
    {
        var host = HostOption("127.0.0.1");
        var port = PortOption(defaultPort: 65432);
        var framing = FramingOption(Codecs.Names);
        var connections = Positive(new Option<int>("--connections", "-c") { Description = "Connections to open.", DefaultValueFactory = _ => 64 }, 100_000);
        var depth = Positive(new Option<int>("--depth", "-d") { Description = "Messages in flight per connection.", DefaultValueFactory = _ => 16 }, 1_000_000);
        var size = Positive(new Option<int>("--size", "-s") { Description = "Payload bytes per message (raw: bytes echoed per message).", DefaultValueFactory = _ => 32 }, 1_000_000);
        var duration = new Option<double>("--duration", "-t") { Description = "Seconds measured.", DefaultValueFactory = _ => 10 };
        var warmUp = new Option<double>("--warmup", "-w") { Description = "Seconds run before measuring.", DefaultValueFactory = _ => 2 };
        var json = new Option<bool>("--json") { Description = "Print a one-line JSON summary instead of the report and the histogram (and no progress)." };
        var noProgress = new Option<bool>("--no-progress") { Description = "Print no progress while running (by default: a line rewritten in place on a terminal, a line a second when stderr is redirected)." };
        var busyPoll = BusyPollOption();
        var tls = new ClientTlsArguments();
        duration.Validators.Add(r => AtLeast(r, 0.1));
        warmUp.Validators.Add(r => AtLeast(r, 0));
        var command = new Command("bench", "Load-tests an echo server: C connections x D messages in flight, every echoed byte checked; reports msg/s, MB/s and round-trip latency percentiles.")
        {
            host, port, framing, connections, depth, size, duration, warmUp, json, noProgress, busyPoll,
        };
        tls.AddTo(command);
        command.Validators.Add(result =>
        {
            var codec = result.GetValue(framing);
            var payload = result.GetValue(size);
            if (codec == "length16" && payload > ushort.MaxValue)
            {
                result.AddError("--size must be at most 65535 with length16.");
            }
        });
        command.SetAction(async (result, cancellationToken) =>
        {
            ApplyBusyPoll(result, busyPoll);
            var settings = new BenchSettings(
                result.GetValue(host)!,
                result.GetValue(port),
                Codecs.Parse(result.GetValue(framing)!),
                result.GetValue(connections),
                result.GetValue(depth),
                result.GetValue(size),
                TimeSpan.FromSeconds(result.GetValue(duration)),
                TimeSpan.FromSeconds(result.GetValue(warmUp)),
                tls.Settings(result));

            // The result goes to stdout, the progress to stderr: `tcptk bench > report.txt` still shows the progress, and
            // --json (machine output: the benchmarks harness, CI) stays one line on stdout and silent on stderr.
            var asJson = result.GetValue(json);
            var output = new BenchOutput(stdout, stderr)
            {
                Json = asJson,
                Progress = asJson || result.GetValue(noProgress) ? null : new BenchProgressOptions(stderr, terminal.StderrIsTerminal, terminal.Width),
                Chart = terminal.StdoutIsTerminal ? new ChartStyle(terminal.Width, terminal.Unicode) : ChartStyle.Plain,
            };
            return await BenchCommand.RunAsync(settings, output, cancellationToken);
        });
        return command;
    }

    private static Option<int> Positive(Option<int> option, int max)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value < 1 || value > max)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be between 1 and {max}."));
            }
        });
        return option;
    }

    private static void AtLeast(System.CommandLine.Parsing.OptionResult result, double min)
    {
        if (result.GetValueOrDefault<double>() < min)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{result.Option.Name} must be at least {min}."));
        }
    }

    private static IPEndPoint Endpoint(string host, int port) => new(
        IPAddress.TryParse(host, out var address) ? address : Dns.GetHostAddresses(host)[0],
        port);
}
