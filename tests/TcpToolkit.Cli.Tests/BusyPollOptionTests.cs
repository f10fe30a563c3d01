namespace TcpToolkit.Cli.Tests;

/// <summary><c>--busy-poll</c> on the commands that run the epoll engine hot: echo-server and bench.</summary>
public sealed class BusyPollOptionTests
{
    [Theory]
    [InlineData("echo-server", "adaptive")]
    [InlineData("echo-server", "off")]
    [InlineData("bench", "always")]
    public void Parse_KnownValue_IsAccepted(string command, string value)
    {
        var result = TcptkCommand.Create(TextWriter.Null, TextWriter.Null).Parse([command, "--busy-poll", value]);

        result.Errors.Should().BeEmpty();
    }

    [Theory]
    [InlineData("echo-server")]
    [InlineData("bench")]
    public void Parse_UnknownValue_IsRejected(string command)
    {
        var result = TcptkCommand.Create(TextWriter.Null, TextWriter.Null).Parse([command, "--busy-poll", "fast"]);

        result.Errors.Should().NotBeEmpty();
    }
}
