namespace TcpToolkit.IntegrationTests;

/// <summary>
/// The transports the transport-independent integration tests run over (issue #11): each such test is a theory over
/// <see cref="AllTransports"/>, so one body checks real loopback sockets and the in-memory transport alike. Tests that
/// are about sockets themselves (a restart on the same port, TCP keepalive, the samples' command lines) stay facts.
/// </summary>
public enum TestTransport
{
    /// <summary>A <c>TcpServer</c> on 127.0.0.1:0; clients connect with a <c>TcpClient</c>.</summary>
    Sockets,

    /// <summary>An <c>InMemoryServer</c>; clients connect through it as their connection factory.</summary>
    InMemory,
}

/// <summary>Theory data: every <see cref="TestTransport"/>, for <c>[Theory, ClassData(typeof(AllTransports))]</c>.</summary>
public sealed class AllTransports : TheoryData<TestTransport>
{
    public AllTransports()
    {
        Add(TestTransport.Sockets);
        Add(TestTransport.InMemory);
    }
}
