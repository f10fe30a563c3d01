namespace TcpToolkit.Tests.Fuzzing;

/// <summary>Seeded mutation tests (see <see cref="MutationTestRunner"/>) for the JsonHeaderDecoder fuzz targets.</summary>
public sealed class JsonHeaderDecoderMutationTests
{
    public static TheoryData<string> Targets => MutationTestRunner.TargetsOf("json-header");

    [Theory(Timeout = MutationTestRunner.Timeout)]
    [MemberData(nameof(Targets))]
    public Task TryDecode_MutatedFrames_OnlyFramingExceptionsAndNoLoops(string targetName) => MutationTestRunner.RunAsync(targetName, TestContext.Current.CancellationToken);

    [Theory]
    [MemberData(nameof(Targets))]
    public void TryDecode_ValidFramesAndSeedEdgeCases_DecodeTheSameHoweverSplit(string targetName) =>
        MutationTestRunner.CheckValidFramesAndEdgeCases(targetName);
}
