namespace TcpToolkit.Hosting.Tests;

/// <summary>The one bound every wait in these tests uses.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    /// <summary>A token that fires after <see cref="Default"/> or when the test is cancelled.</summary>
    public static CancellationToken Token()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(Default);
        return source.Token;
    }
}
