using System.Buffers;
using System.IO.Pipelines;

namespace TcpToolkit.Connections.Internal;

/// <summary>
/// A connection's output that takes bytes spread over several segments in one write and flush: a transport that can
/// send them in one gathered system call, straight from the caller's memory, when nothing is buffered before them.
/// What writes runs of input back (an echo, a relay) asks for it and otherwise writes segment by segment.
/// </summary>
internal interface IGatheringWriter
{
    /// <summary>Writes every byte of <paramref name="bytes"/> and flushes, as <see cref="PipeWriter.WriteAsync"/> does for one segment.</summary>
    ValueTask<FlushResult> WriteAsync(in ReadOnlySequence<byte> bytes, CancellationToken cancellationToken);
}
