using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Transport.Internal;

namespace TcpToolkit.Tests.Transport.Internal;

/// <summary>The one place where socket errors become the connection's exceptions.</summary>
public sealed class SocketErrorsTests
{
    [Theory]
    [InlineData(SocketError.ConnectionReset)]
    [InlineData(SocketError.Shutdown)]
    [InlineData(SocketError.ConnectionAborted)]
    [InlineData(SocketError.NetworkReset)]
    [InlineData(SocketError.TimedOut)]
    [InlineData(SocketError.HostUnreachable)]
    [InlineData(SocketError.NetworkUnreachable)]
    public void Map_PeerOrNetworkTornDown_IsConnectionReset(SocketError error)
    {
        var mapped = SocketErrors.Map(new SocketException((int)error), abortedLocally: false, abortReason: null);

        mapped.Should().BeOfType<ConnectionResetException>().Which.InnerException.Should().BeOfType<SocketException>();
        mapped.Message.Should().Contain(error.ToString());
    }

    [Theory]
    [InlineData(SocketError.OperationAborted)]
    [InlineData(SocketError.Interrupted)]
    [InlineData(SocketError.InvalidArgument)]
    public void Map_OperationCutShortHere_IsConnectionAborted(SocketError error)
        => SocketErrors.Map(new SocketException((int)error), abortedLocally: false, abortReason: null).Should().BeOfType<ConnectionAbortedException>();

    [Fact]
    public void Map_DisposedSocket_IsConnectionAborted()
        => SocketErrors.Map(new ObjectDisposedException("socket"), abortedLocally: false, abortReason: null).Should().BeOfType<ConnectionAbortedException>();

    [Fact]
    public void Map_AfterALocalAbort_IsConnectionAbortedWithTheReason_EvenForAReset()
    {
        var mapped = SocketErrors.Map(new SocketException((int)SocketError.ConnectionReset), abortedLocally: true, abortReason: "idle for too long");

        mapped.Should().BeOfType<ConnectionAbortedException>().Which.Message.Should().Be("idle for too long");
    }

    [Fact]
    public void Map_UnknownException_IsPassedThrough()
    {
        var unknown = new InvalidOperationException("a bug");

        SocketErrors.Map(unknown, abortedLocally: false, abortReason: null).Should().BeSameAs(unknown);
    }
}
