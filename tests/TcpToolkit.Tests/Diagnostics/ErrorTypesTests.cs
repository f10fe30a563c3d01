using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Diagnostics.Internal;
using TcpToolkit.Framing;
using TcpToolkit.Framing.Internal;
using TcpToolkit.Protocol;
using TcpToolkit.Proxy;

namespace TcpToolkit.Tests.Diagnostics;

/// <summary>The <c>error.type</c> and <c>tcptoolkit.frame.codec</c> vocabularies: fixed, snake case, <c>_OTHER</c> outside them.</summary>
public sealed class ErrorTypesTests
{
    [Theory]
    [InlineData(CloseReason.RemoteReset, "remote_reset")]
    [InlineData(CloseReason.MinDataRate, "min_data_rate")]
    [InlineData(CloseReason.FirstByteTimeout, "first_byte_timeout")]
    [InlineData((CloseReason)999, "_OTHER")]
    public void Of_CloseReason_SnakeCaseName(CloseReason reason, string expected) => ErrorTypes.Of(reason).Should().Be(expected);

    [Theory]
    [InlineData(SocketError.ConnectionRefused, "connection_refused")]
    [InlineData(SocketError.TimedOut, "timed_out")]
    [InlineData(SocketError.IOPending, "io_pending")]
    public void Of_SocketError_SnakeCaseName(SocketError error, string expected) => ErrorTypes.Of(error).Should().Be(expected);

    [Fact]
    public void Of_Prefixed_PrefixThenName() => ErrorTypes.Of("proxy", ProxyProtocolError.MissingHeader).Should().Be("proxy_missing_header");

    [Fact]
    public void Of_SameValueTwice_SameString() => ErrorTypes.Of(CloseReason.IdleTimeout).Should().BeSameAs(ErrorTypes.Of(CloseReason.IdleTimeout));

    [Fact]
    public void NameOf_Codecs_TypeNameWithoutSuffixInSnakeCase()
    {
        FrameCodecs.NameOf(new LengthFieldFrameDecoder(LengthFieldCodecOptions.UInt16BigEndian)).Should().Be("length_field");
        FrameCodecs.NameOf(new LengthFieldFrameEncoder(LengthFieldCodecOptions.UInt16BigEndian)).Should().Be("length_field");
        FrameCodecs.NameOf(new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed)).Should().Be("delimiter");
        FrameCodecs.NameOf(new JsonHeaderDecoder()).Should().Be("json_header");
        FrameCodecs.NameOf(new JsonHeaderEncoder()).Should().Be("json_header");
    }
}
