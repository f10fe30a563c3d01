namespace TcpToolkit.Tests.Fuzzing;

/// <summary>Seeded mutation tests (see <see cref="MutationTestRunner"/>) for the DelimiterFrameDecoder and MarkerFrameDecoder fuzz targets.</summary>
public sealed class DelimiterAndMarkerDecoderMutationTests
{
    public static TheoryData<string> Targets => MutationTestRunner.TargetsOf("delimiter-", "markers");

    [Theory(Timeout = MutationTestRunner.Timeout)]
    [MemberData(nameof(Targets))]
    public Task TryDecode_MutatedFrames_OnlyFramingExceptionsAndNoLoops(string targetName) => MutationTestRunner.RunAsync(targetName, TestContext.Current.CancellationToken);

    [Theory]
    [MemberData(nameof(Targets))]
    public void TryDecode_ValidFramesAndSeedEdgeCases_DecodeTheSameHoweverSplit(string targetName) =>
        MutationTestRunner.CheckValidFramesAndEdgeCases(targetName);
}
