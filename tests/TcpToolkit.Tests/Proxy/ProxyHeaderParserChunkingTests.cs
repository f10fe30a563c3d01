using TcpToolkit.Proxy.Internal;
using TcpToolkit.Tests.Infrastructure;
using static TcpToolkit.Tests.Proxy.ParseHarness;

namespace TcpToolkit.Tests.Proxy;

/// <summary>
/// Every golden vector gives the same header however the bytes arrive: whole, one segment per byte, split into two
/// segments at every offset, or growing one byte at a time; the bytes after the header are never consumed.
/// </summary>
public sealed class ProxyHeaderParserChunkingTests
{
    public static TheoryData<string> Vectors() => [.. ProxyVectors.All.Keys];

    private static readonly byte[] ApplicationBytes = "GET / HTTP/1.1\r\n\r\n"u8.ToArray();

    [Theory]
    [MemberData(nameof(Vectors))]
    public void TryParse_EveryChunking_SameHeaderAndConsumesExactlyTheHeader(string name)
    {
        var header = ProxyVectors.All[name];
        var expected = Parse(header);
        expected.Status.Should().Be(ProxyParseStatus.Parsed, expected.Describe());
        expected.Consumed.Should().Be(header.Length);
        expected.Header!.Length.Should().Be(header.Length);

        foreach (var (chunking, chunks) in Chunkings(header))
        {
            Parse(chunks).Describe().Should().Be(expected.Describe(), chunking);
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void TryParse_ApplicationBytesFollow_EveryChunkingConsumesOnlyTheHeader(string name)
    {
        var header = ProxyVectors.All[name];
        byte[] wire = [.. header, .. ApplicationBytes];
        var expected = Describe(Parse(header).Header!);

        foreach (var (chunking, chunks) in Chunkings(wire))
        {
            var outcome = Parse(chunks);
            outcome.Status.Should().Be(ProxyParseStatus.Parsed, chunking);
            outcome.Consumed.Should().Be(header.Length, chunking);
            outcome.Examined.Should().Be(header.Length, "{0}: the bytes after the header are left for the next layer", chunking);
            Describe(outcome.Header!).Should().Be(expected, chunking);
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void TryParse_GrowingOneByteAtATime_NeedsMoreUntilTheLastByteAndExaminesEverything(string name)
    {
        var header = ProxyVectors.All[name];
        for (var length = 0; length < header.Length; length++)
        {
            // Each prefix as the pipe would hand it: one segment per byte received so far.
            var outcome = Parse(TestSequence.Bytewise(header[..length]));
            outcome.Status.Should().Be(ProxyParseStatus.NeedMoreData, "{0} bytes of {1} is the start of a valid header", length, header.Length);
            outcome.Consumed.Should().Be(0);
            outcome.Examined.Should().Be(length, "an incomplete header marks everything examined, so the reader waits instead of spinning");
        }

        Parse(TestSequence.Bytewise(header)).Describe().Should().Be(Parse(header).Describe());
    }

    [Fact]
    public void TryParse_MutatedVectors_NeverThrowAndNeverConsumePastTheInput()
    {
        // Seeded mutations of every vector (a changed byte, a cut, an inserted byte): whatever the bytes, the parser
        // answers with a status; it never throws, never reads past the input, and a parsed header is its own length.
        var random = new Random(12);
        foreach (var vector in ProxyVectors.All.Values)
        {
            for (var round = 0; round < 300; round++)
            {
                var wire = vector.ToList();
                for (var edits = random.Next(1, 4); edits > 0 && wire.Count > 0; edits--)
                {
                    var at = random.Next(wire.Count);
                    switch (random.Next(3))
                    {
                        case 0:
                            wire[at] = (byte)random.Next(256);
                            break;
                        case 1:
                            wire.RemoveRange(at, wire.Count - at);
                            break;
                        default:
                            wire.Insert(at, (byte)random.Next(256));
                            break;
                    }
                }

                var bytes = wire.ToArray();
                var outcome = Parse(TestSequence.Bytewise(bytes));
                outcome.Consumed.Should().BeLessThanOrEqualTo(bytes.Length);
                if (outcome.Status == ProxyParseStatus.Parsed)
                {
                    outcome.Consumed.Should().Be(outcome.Header!.Length);
                }

                Parse(bytes).Describe().Should().Be(outcome.Describe(), "one segment or many, the same answer");
            }
        }
    }
}
