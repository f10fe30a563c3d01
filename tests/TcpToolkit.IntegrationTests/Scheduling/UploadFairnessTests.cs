using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>
/// Issue #11: connections that move bulk data must not starve the quiet ones on the same I/O loop. Two TcpToolkit
/// clients upload as fast as they can to a handler that discards; raw-socket pingers measure the server meanwhile.
/// </summary>
[Collection(RoundTripLatency.Name)]
public sealed class UploadFairnessTests
{
    private const int PingerCount = 16;
    private const long BytesPerUploader = 128L * 1024 * 1024;

    public static TheoryData<string> Engines => new() { "epoll", "dotnet" };

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task TwoClientsUploadFlatOut_NoPingerRoundTripTakesOver100Ms(string engine)
    {
        var ct = TestServers.Timeout();
        long discarded = 0;
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                var first = await connection.Input.ReadAsync(stopping);
                if (first.Buffer.FirstSpan[0] != (byte)'U')
                {
                    connection.Input.AdvanceTo(first.Buffer.Start);
                    await TestServers.EchoAsync(connection, stopping);
                    return;
                }

                var result = first;
                while (true)
                {
                    Interlocked.Add(ref discarded, result.Buffer.Length);
                    connection.Input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        return;
                    }

                    result = await connection.Input.ReadAsync(stopping);
                }
            },
            options => options.UseDotNetSocketEngine = engine == "dotnet");
        await using var pingers = await Pingers.StartRawAsync(server.LocalEndPoint, PingerCount, ct);
        await using var client = new TcpClient(new TcpClientOptions { UseDotNetSocketEngine = engine == "dotnet" });

        var uploads = Enumerable.Range(0, 2).Select(async _ =>
        {
            await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
            var chunk = new byte[64 * 1024];
            chunk[0] = (byte)'U';
            for (long sent = 0; sent < BytesPerUploader; sent += chunk.Length)
            {
                await connection.Output.WriteAsync(chunk, ct);
            }

            await connection.Output.CompleteAsync();
        }).ToArray();
        await Task.WhenAll(uploads).WaitAsync(ct);
        await pingers.StopAfterCurrentRoundsAsync(ct);

        SchedulingFigures.Report($"2 uploaders x {BytesPerUploader >> 20} MiB (server discarded {Interlocked.Read(ref discarded) >> 20} MiB so far)", engine, pingers);
        pingers.MaxRoundTrip.Should().BeLessThan(pingers.RoundTripBound, "bulk transfers must not hold an I/O loop for long");
        pingers.FewestRoundTrips.Should().BePositive();
    }
}
