using TcpToolkit.Framing;

namespace TcpToolkit.Fuzz;

/// <summary>
/// A decoder broke the <see cref="TcpToolkit.Framing.IFrameDecoder{TFrame}"/> contract in a way that would hang or
/// corrupt a real reader, or decoded differently depending on how the bytes were chunked. Deliberately not a
/// <see cref="FramingException"/>: the fuzz harness lets it escape, so AFL records the input as a crash.
/// </summary>
public sealed class ContractViolationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ContractViolationException()
    {
    }

    /// <summary>Creates the exception with a message naming the broken rule.</summary>
    /// <param name="message">What the decoder did wrong.</param>
    public ContractViolationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that revealed the problem.</summary>
    /// <param name="message">What the decoder did wrong.</param>
    /// <param name="innerException">The underlying exception.</param>
    public ContractViolationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
