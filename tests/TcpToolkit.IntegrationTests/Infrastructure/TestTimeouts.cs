namespace TcpToolkit.IntegrationTests;

/// <summary>The one bound every wait in the integration tests uses.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);
}
