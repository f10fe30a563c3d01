using System.CommandLine;

namespace TcpToolkit.Cli;

/// <summary>A client's TLS options: <c>--tls</c> (the certificate is validated for <c>--host</c>) and <c>--insecure</c>.</summary>
internal sealed class ClientTlsArguments : TlsArguments
{
    private readonly Option<bool> _insecure;

    public ClientTlsArguments()
        : this(new Option<bool>("--insecure") { Description = "With --tls: accept any server certificate (test servers only)." })
    {
    }

    private ClientTlsArguments(Option<bool> insecure)
        : base("Speak TLS (TcpToolkit's TLS middleware); the server certificate is validated for --host.", insecure)
    {
        _insecure = insecure;
    }

    protected override TlsSettings Create(ParseResult result) => new(Insecure: result.GetValue(_insecure));
}
