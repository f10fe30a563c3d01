using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TcpToolkit.Cli.Bench;

/// <summary>The outcome of a run: throughput over the measured window and round-trip percentiles.</summary>
internal sealed class BenchResult
{
    public BenchResult(BenchSettings settings, long messages, TimeSpan elapsed, LatencyHistogram latency, IReadOnlyList<string> errors, string? tls = null)
    {
        Settings = settings;
        Tls = tls;
        Messages = messages;
        Elapsed = elapsed;
        Errors = errors;
        Latency = latency;
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        MessagesPerSecond = messages / seconds;
        MegabytesPerSecond = messages * (double)settings.Size / seconds / 1e6;
        P50 = Microseconds(latency.ValueAtPercentile(50));
        P90 = Microseconds(latency.ValueAtPercentile(90));
        P99 = Microseconds(latency.ValueAtPercentile(99));
        P999 = Microseconds(latency.ValueAtPercentile(99.9));
        Max = Microseconds(latency.Max);
    }

    public BenchSettings Settings { get; }

    /// <summary>Gets what the TLS handshake negotiated (protocol and cipher suite), or <see langword="null"/> for plain TCP.</summary>
    public string? Tls { get; }

    public long Messages { get; }

    public TimeSpan Elapsed { get; }

    public IReadOnlyList<string> Errors { get; }

    /// <summary>Gets the measured round trips (in <see cref="Stopwatch"/> ticks), for the histogram under the report.</summary>
    public LatencyHistogram Latency { get; }

    public double MessagesPerSecond { get; }

    /// <summary>Gets the echoed payload bytes per second, in 10^6 bytes (one direction).</summary>
    public double MegabytesPerSecond { get; }

    public double P50 { get; }

    public double P90 { get; }

    public double P99 { get; }

    public double P999 { get; }

    public double Max { get; }

    public string ToReport()
    {
        var s = Settings;
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"tcptk bench {s.Host}:{s.Port} {Codecs.Name(s.Codec)}{(Tls is null ? "" : " over TLS (" + Tls + ")")}: {s.Connections} connections x {s.Depth} in flight, {s.Size} B payloads, {Elapsed.TotalSeconds:0.0} s measured after {s.WarmUp.TotalSeconds:0.#} s warm-up").AppendLine();
        text.Append(c, $"  messages   {Messages:N0} ({MessagesPerSecond:N0} msg/s)").AppendLine();
        text.Append(c, $"  payload    {MegabytesPerSecond:N1} MB/s (echoed, one direction)").AppendLine();
        text.Append(c, $"  latency    p50 {P50:N1} us  p90 {P90:N1} us  p99 {P99:N1} us  p99.9 {P999:N1} us  max {Max:N1} us").AppendLine();
        text.Append(c, $"  errors     {Errors.Count}").AppendLine();
        foreach (var error in Errors.Take(10))
        {
            text.Append("    ").AppendLine(error);
        }

        return text.ToString();
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("host", Settings.Host);
            json.WriteNumber("port", Settings.Port);
            json.WriteString("framing", Codecs.Name(Settings.Codec));
            json.WriteString("tls", Tls);
            json.WriteNumber("connections", Settings.Connections);
            json.WriteNumber("depth", Settings.Depth);
            json.WriteNumber("size", Settings.Size);
            json.WriteNumber("seconds", Math.Round(Elapsed.TotalSeconds, 3));
            json.WriteNumber("messages", Messages);
            json.WriteNumber("msgPerSec", Math.Round(MessagesPerSecond, 1));
            json.WriteNumber("mbPerSec", Math.Round(MegabytesPerSecond, 3));
            json.WriteStartObject("latencyUs");
            json.WriteNumber("p50", Math.Round(P50, 1));
            json.WriteNumber("p90", Math.Round(P90, 1));
            json.WriteNumber("p99", Math.Round(P99, 1));
            json.WriteNumber("p999", Math.Round(P999, 1));
            json.WriteNumber("max", Math.Round(Max, 1));
            json.WriteEndObject();
            json.WriteNumber("errors", Errors.Count);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static double Microseconds(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
}
