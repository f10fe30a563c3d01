using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace TcpToolkit.Benchmarks.Codecs;

/// <summary>
/// A short in-process job: the codec benchmarks are microseconds each and the point is the allocation column, so
/// 3 warm-up + 3 measured iterations of 200 ms keep the whole codec run to a few minutes on a 2-core machine, and
/// in-process skips building a separate benchmark project.
/// </summary>
internal sealed class CodecBenchmarkConfig : ManualConfig
{
    public CodecBenchmarkConfig()
    {
        AddJob(Job.ShortRun
            .WithIterationTime(TimeInterval.FromMilliseconds(200))
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId("ShortRun-InProcess"));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
