using System.Net;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using TcpToolkit.Datagrams;

namespace TcpToolkit.Benchmarks.Datagrams;

/// <summary>
/// Datagrams over loopback through two <see cref="UdpEndpoint"/>s: a batch of eight sent, then the eight read through
/// <see cref="UdpEndpoint.ReadAllAsync"/> (so the reader finds some queued and waits for others). One operation is one
/// datagram sent and received, with its sender endpoint looked up; the receive loop and the reader run on pool
/// threads, which the allocation column includes.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(DatagramBenchmarkConfig))]
public class UdpEndpointBenchmarks
{
    private const int Batch = 8;

    private UdpEndpoint _receiver = null!;
    private UdpEndpoint _sender = null!;
    private IAsyncEnumerator<Datagram> _reader = null!;
    private IPEndPoint _target = null!;
    private byte[] _payload = null!;

    [Params(64, 1472)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _receiver = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _sender = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _reader = _receiver.ReadAllAsync().GetAsyncEnumerator();
        _target = _receiver.LocalEndPoint;
        _payload = new byte[PayloadSize];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _receiver.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sender.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    // The pooling builder, so the benchmark method's own state machine (it suspends while the reader waits) is not an
    // allocation per invocation that the column would blame on the endpoint.
    [Benchmark(OperationsPerInvoke = Batch)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> SendAndReceive()
    {
        for (var i = 0; i < Batch; i++)
        {
            await _sender.SendToAsync(_payload, _target);
        }

        long received = 0;
        for (var i = 0; i < Batch; i++)
        {
            if (!await _reader.MoveNextAsync())
            {
                throw new InvalidOperationException("The datagrams ended.");
            }

            var datagram = _reader.Current;
            received += datagram.Length + datagram.RemoteEndPoint.Port;
        }

        return received;
    }
}
