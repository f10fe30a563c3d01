namespace TcpToolkit.Cli.Tests;

/// <summary>The one bound every wait in these tests uses.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);
}
