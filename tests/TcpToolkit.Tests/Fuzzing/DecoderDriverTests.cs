using System.Buffers;
using TcpToolkit.Framing;
using TcpToolkit.Fuzz;

namespace TcpToolkit.Tests.Fuzzing;

/// <summary>The fuzz oracle itself: broken decoders must be caught, documented errors must not be.</summary>
public sealed class DecoderDriverTests
{
    private static readonly byte[] s_input = "abcdefgh"u8.ToArray();

    [Fact]
    public void Run_DecoderThrowsFramingException_EndsQuietly()
    {
        DecodeOutcome outcome = Run(new FakeDecoder((in ReadOnlySequence<byte> _, ref SequencePosition _, ref SequencePosition _) =>
            throw new InvalidFrameException("bad")));

        outcome.Should().Be(new DecodeOutcome(0, outcome.Digest, s_input.Length, nameof(InvalidFrameException)));
    }

    [Fact]
    public void Run_DecoderThrowsOtherException_Escapes()
    {
        Action run = () => Run(new FakeDecoder((in ReadOnlySequence<byte> input, ref SequencePosition _, ref SequencePosition _) =>
            throw new ArgumentOutOfRangeException(nameof(input))));

        run.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Run_FalseWithoutExaminingEverything_IsContractViolation()
    {
        Action run = () => Run(new FakeDecoder((in ReadOnlySequence<byte> input, ref SequencePosition _, ref SequencePosition examined) =>
        {
            examined = input.Start;
            return false;
        }));

        run.Should().Throw<ContractViolationException>().WithMessage("*spin*");
    }

    [Fact]
    public void Run_FrameWithoutConsuming_IsContractViolation()
    {
        Action run = () => Run(new FakeDecoder((in ReadOnlySequence<byte> input, ref SequencePosition _, ref SequencePosition examined) =>
        {
            examined = input.End;
            return input.Length > 0;
        }));

        run.Should().Throw<ContractViolationException>().WithMessage("*consumed nothing*");
    }

    [Fact]
    public void Run_ResultDependsOnSegments_IsContractViolation()
    {
        // Decodes the first segment as a frame: the result changes with the split points.
        Action run = () => Run(new FakeDecoder((in ReadOnlySequence<byte> input, ref SequencePosition consumed, ref SequencePosition examined) =>
        {
            if (input.FirstSpan.Length == 0)
            {
                examined = input.End;
                return false;
            }

            consumed = examined = input.GetPosition(input.FirstSpan.Length);
            return true;
        }));

        run.Should().Throw<ContractViolationException>().WithMessage("*Chunking changed the result*");
    }

    [Fact]
    public void CutsFrom_Input_AreOrderedAndInRange()
    {
        for (int length = 0; length < 64; length++)
        {
            byte[] data = Enumerable.Range(0, length).Select(i => (byte)(i * 37)).ToArray();

            (int first, int second) = DecoderDriver.CutsFrom(data);

            first.Should().BeInRange(0, second);
            second.Should().BeLessThanOrEqualTo(length);
        }
    }

    [Fact]
    public void FuzzTargets_Each_IsInExactlyOneMutationTestClass()
    {
        string[] covered =
        [
            .. LengthAndFixedDecoderMutationTests.Targets.Select(row => (string)((ITheoryDataRow)row).GetData()[0]!),
            .. DelimiterAndMarkerDecoderMutationTests.Targets.Select(row => (string)((ITheoryDataRow)row).GetData()[0]!),
            .. JsonHeaderDecoderMutationTests.Targets.Select(row => (string)((ITheoryDataRow)row).GetData()[0]!),
        ];

        covered.Should().BeEquivalentTo(FuzzTargets.All.Select(t => t.Name), "a new target must be mutation-tested too");
    }

    private static DecodeOutcome Run(FakeDecoder decoder) =>
        DecoderDriver.Run(() => decoder, static (frame, digest) => digest.Add(frame), s_input, 2, 5);

    private delegate bool Decode(in ReadOnlySequence<byte> input, ref SequencePosition consumed, ref SequencePosition examined);

    private sealed class FakeDecoder(Decode decode) : IFrameDecoder<ReadOnlySequence<byte>>
    {
        public bool TryDecode(in ReadOnlySequence<byte> input, ref SequencePosition consumed, ref SequencePosition examined, out ReadOnlySequence<byte> frame)
        {
            bool decoded = decode(input, ref consumed, ref examined);
            frame = decoded ? input.Slice(input.Start, consumed) : default;
            return decoded;
        }
    }
}
