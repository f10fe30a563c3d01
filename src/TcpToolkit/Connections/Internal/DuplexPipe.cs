using System.IO.Pipelines;

namespace TcpToolkit.Connections.Internal;

/// <summary>A reader and a writer paired as a connection's transport (each transport's own pipes, or a layer's).</summary>
internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}
