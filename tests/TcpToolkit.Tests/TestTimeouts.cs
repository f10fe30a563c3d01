namespace TcpToolkit.Tests;

/// <summary>The one bound every wait in the unit tests uses.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);
}
