using System.Text;
using TcpToolkit.Framing.Internal;
using TcpToolkit.Tests.Infrastructure;

namespace TcpToolkit.Tests.Framing.Internal;

/// <summary>Searching multi-segment sequences: the same answer however the bytes are split.</summary>
public sealed class SequenceSearchTests
{
    private static readonly byte[] Data = Encoding.ASCII.GetBytes("abc\r\ndef\r\n");

    [Fact]
    public void IndexOf_EveryChunking_FindsTheFirstMatch()
    {
        foreach (var chunks in TestSequence.AllChunkings(Data))
        {
            SequenceSearch.IndexOf(TestSequence.FromChunks(chunks), "\r\n"u8).Should().Be(3);
        }
    }

    [Fact]
    public void IndexOf_Absent_IsMinusOne()
    {
        foreach (var chunks in TestSequence.AllChunkings(Data))
        {
            SequenceSearch.IndexOf(TestSequence.FromChunks(chunks), "xyz"u8).Should().Be(-1);
        }
    }

    [Fact]
    public void IndexOfAny_EveryChunking_FindsTheEarliestDelimiterAndItsLength()
    {
        byte[][] delimiters = ["\r\n"u8.ToArray(), "c"u8.ToArray()];
        foreach (var chunks in TestSequence.AllChunkings(Data))
        {
            SequenceSearch.IndexOfAny(TestSequence.FromChunks(chunks), delimiters, out var length).Should().Be(2);
            length.Should().Be(1);
        }
    }

    [Fact]
    public void IndexOf_MatchSplitAcrossEverySegmentBoundary_IsFound()
    {
        var data = Encoding.ASCII.GetBytes("xxxxSTARTyyyy");
        for (var cut = 1; cut < data.Length; cut++)
        {
            SequenceSearch.IndexOf(TestSequence.FromChunks(TestSequence.Split(data, cut)), "START"u8).Should().Be(4, "cut at {0}", cut);
        }
    }
}
