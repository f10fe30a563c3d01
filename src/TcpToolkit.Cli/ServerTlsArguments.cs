using System.CommandLine;

namespace TcpToolkit.Cli;

/// <summary>A server's TLS options: <c>--tls</c>, <c>--cert PATH</c> (PFX) and <c>--cert-password</c>.</summary>
internal sealed class ServerTlsArguments : TlsArguments
{
    private readonly Option<string?> _cert;
    private readonly Option<string?> _certPassword;

    public ServerTlsArguments()
        : this(
            new Option<string?>("--cert") { Description = "With --tls: the server certificate (PFX; its other certificates are sent as intermediates); default: a throwaway self-signed certificate for localhost." },
            new Option<string?>("--cert-password") { Description = "With --cert: the PFX password." })
    {
    }

    private ServerTlsArguments(Option<string?> cert, Option<string?> certPassword)
        : base("Speak TLS (TcpToolkit's TLS middleware, TLS 1.2 and 1.3).", cert, certPassword)
    {
        _cert = cert;
        _certPassword = certPassword;
    }

    protected override TlsSettings Create(ParseResult result) => new(result.GetValue(_cert), result.GetValue(_certPassword));
}
