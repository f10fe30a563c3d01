using TcpToolkit.Framing;

namespace TcpToolkit.Fuzz;

/// <summary>
/// One decoder configuration to fuzz: how to make the decoder, how to fingerprint its frames, and valid encoded
/// input (from the matching encoder) to start mutating from. Used by the AFL harness and by the mutation tests.
/// </summary>
/// <remarks>
/// Making a target must not run any TcpToolkit code (not even an options constructor): in the instrumented
/// assembly that code writes coverage to AFL's shared memory, which exists only once <c>Fuzzer.Run</c> has started,
/// and touching it earlier is an access violation. So everything that touches the library is a delegate.
/// </remarks>
internal abstract class FuzzTarget
{
    protected FuzzTarget(string name, string description)
    {
        Name = name;
        Description = description;
    }

    /// <summary>Gets the name given on the command line and used for the corpus folder.</summary>
    public string Name { get; }

    /// <summary>Gets the decoder configuration in words.</summary>
    public string Description { get; }

    /// <summary>
    /// Gets whether some input makes the decoder throw a <see cref="FramingException"/>. A fixed-size decoder, or one
    /// whose recovery policy discards bad frames, never throws. Defaults to <see langword="true"/>.
    /// </summary>
    public bool CanThrow { get; init; } = true;

    /// <summary>Gets hand-made inputs for the seed corpus beyond valid frames: the format's edge cases.</summary>
    public abstract IReadOnlyList<KeyValuePair<string, byte[]>> EdgeCases { get; }

    /// <summary>Makes a stream of a few valid frames written by the codec's encoder.</summary>
    public abstract ValidInput CreateValidInput(Random random);

    /// <summary>Feeds <paramref name="data"/> whole, as one read of segments, and as successive reads, cut at the given points.</summary>
    /// <exception cref="ContractViolationException">The decoder broke the contract or depended on chunking.</exception>
    public abstract DecodeOutcome Run(ReadOnlySpan<byte> data, int firstCut, int secondCut);

    /// <summary>Feeds <paramref name="data"/> with split points derived from its bytes (<see cref="DecoderDriver.CutsFrom"/>).</summary>
    /// <exception cref="ContractViolationException">The decoder broke the contract or depended on chunking.</exception>
    public DecodeOutcome Run(ReadOnlySpan<byte> data)
    {
        (int first, int second) = DecoderDriver.CutsFrom(data);
        return Run(data, first, second);
    }

    public override string ToString() => Name;
}

/// <summary>A <see cref="FuzzTarget"/> for a decoder of <typeparamref name="TFrame"/>.</summary>
internal sealed class FuzzTarget<TFrame> : FuzzTarget
{
    private readonly Func<IFrameDecoder<TFrame>> _createDecoder;
    private readonly Action<TFrame, FrameDigest> _digest;
    private readonly Func<Random, ValidInput> _createValidInput;
    private readonly Lazy<IReadOnlyList<KeyValuePair<string, byte[]>>> _edgeCases;

    public FuzzTarget(
        string name,
        string description,
        Func<IFrameDecoder<TFrame>> createDecoder,
        Action<TFrame, FrameDigest> digest,
        Func<Random, ValidInput> createValidInput,
        Func<IReadOnlyList<KeyValuePair<string, byte[]>>> edgeCases)
        : base(name, description)
    {
        _createDecoder = createDecoder;
        _digest = digest;
        _createValidInput = createValidInput;
        _edgeCases = new(edgeCases);
    }

    public override IReadOnlyList<KeyValuePair<string, byte[]>> EdgeCases => _edgeCases.Value;

    public override ValidInput CreateValidInput(Random random) => _createValidInput(random);

    public override DecodeOutcome Run(ReadOnlySpan<byte> data, int firstCut, int secondCut) =>
        DecoderDriver.Run(_createDecoder, _digest, data, firstCut, secondCut);
}

/// <summary>Valid encoded frames to mutate.</summary>
/// <param name="Bytes">The frames, back to back.</param>
/// <param name="Frames">How many frames <paramref name="Bytes"/> holds.</param>
/// <param name="LengthFields">Where each frame's length field is (offset and size), for targeted corruption; empty when the format has none.</param>
internal sealed record ValidInput(byte[] Bytes, int Frames, IReadOnlyList<(int Offset, int Size)> LengthFields);
