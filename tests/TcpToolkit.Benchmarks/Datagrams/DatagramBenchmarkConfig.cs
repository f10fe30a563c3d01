using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace TcpToolkit.Benchmarks.Datagrams;

/// <summary>
/// The codec benchmarks' short in-process job, for the loopback datagram benchmarks: the point is the allocation
/// column (a receive path that allocates nothing per datagram), and a loopback round trip is microseconds, so 3 warm-up
/// + 3 measured iterations of 200 ms are enough and keep the run to about a minute on 2 cores.
/// </summary>
internal sealed class DatagramBenchmarkConfig : ManualConfig
{
    public DatagramBenchmarkConfig()
    {
        AddJob(Job.ShortRun
            .WithIterationTime(TimeInterval.FromMilliseconds(200))
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId("ShortRun-InProcess"));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
