namespace TcpToolkit.Tests.Fuzzing;

/// <summary>Seeded mutation tests (see <see cref="MutationTestRunner"/>) for the LengthFieldFrameDecoder and FixedSizeFrameDecoder fuzz targets.</summary>
public sealed class LengthAndFixedDecoderMutationTests
{
    public static TheoryData<string> Targets => MutationTestRunner.TargetsOf("length-", "fixed");

    [Theory(Timeout = MutationTestRunner.Timeout)]
    [MemberData(nameof(Targets))]
    public Task TryDecode_MutatedFrames_OnlyFramingExceptionsAndNoLoops(string targetName) => MutationTestRunner.RunAsync(targetName, TestContext.Current.CancellationToken);

    [Theory]
    [MemberData(nameof(Targets))]
    public void TryDecode_ValidFramesAndSeedEdgeCases_DecodeTheSameHoweverSplit(string targetName) =>
        MutationTestRunner.CheckValidFramesAndEdgeCases(targetName);
}
