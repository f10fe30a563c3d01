using BenchmarkDotNet.Running;
using TcpToolkit.Benchmarks.Compare;

// "compare" runs the end-to-end comparison against the peer servers; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "compare")
{
    return await CompareHarness.RunAsync(args[1..]);
}

// Issue #13: TcpToolkit's request/response against gRPC unary calls, in one process.
if (args.Length > 0 && args[0] == "rpc")
{
    return await TcpToolkit.Benchmarks.Rpc.RpcBenchmark.RunAsync(args[1..]);
}

// The client side of the harness's connection-burst measurement, run by the harness as a pinned process of its own.
if (args.Length > 0 && args[0] == "burst-client")
{
    return await BurstClient.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
