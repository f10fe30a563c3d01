using BenchmarkDotNet.Running;
using TcpToolkit.Benchmarks.Broadcast;
using TcpToolkit.Benchmarks.Compare;

// "compare" runs the end-to-end comparison against the peer servers; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "compare")
{
    return await CompareHarness.RunAsync(args[1..]);
}

// Issue #16: one message to a room of 1,000 and 10,000 members, on one instance and on two sharing a Redis.
if (args.Length > 0 && args[0] == "broadcast")
{
    return await BroadcastHarness.RunAsync(args[1..]);
}

// The members of the broadcast benchmark, run by it as a process of their own.
if (args.Length > 0 && args[0] == "broadcast-client")
{
    return await BroadcastClient.RunAsync(args[1..]);
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

// The client side of the harness's TLS handshake measurement, likewise a pinned process of its own.
if (args.Length > 0 && args[0] == "handshake-client")
{
    return await HandshakeClient.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
