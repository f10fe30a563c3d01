namespace TcpToolkit.Hosting.Tests;

/// <summary>Files of the repository the tests read (the README, the samples' build output).</summary>
internal static class Repository
{
    /// <summary>Gets the repository root: the first folder above the test's output folder that holds TcpToolkit.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "TcpToolkit.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("The repository root (TcpToolkit.sln) was not found above " + AppContext.BaseDirectory);
    }
}
