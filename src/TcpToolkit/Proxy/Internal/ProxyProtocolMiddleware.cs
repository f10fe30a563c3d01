using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;
using TcpToolkit.Diagnostics.Internal;

namespace TcpToolkit.Proxy.Internal;

/// <summary>
/// The server side: refuses peers that are not trusted proxies before reading a byte, then reads the required header
/// within the timeout, rewrites the connection's endpoints and publishes the header as a feature. It reads the
/// connection's input directly and advances past the header only, so it adds no layer: the next middleware reads the
/// bytes after the header from the same pipe.
/// </summary>
internal sealed class ProxyProtocolMiddleware
{
    private readonly ConnectionHandler _next;
    private readonly ProxyProtocolOptions _options;
    private readonly IPNetwork[] _trustedProxies;
    private readonly bool _trustUnixDomainSocketPeers;
    private readonly int _maxHeaderSize;
    private readonly TimeSpan? _headerTimeout;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public ProxyProtocolMiddleware(ConnectionHandler next, ProxyProtocolOptions options)
    {
        // A snapshot: the options are read once, when the pipeline is built; the counters stay on the options.
        _next = next;
        _options = options;
        _trustedProxies = [.. options.TrustedProxies];
        _trustUnixDomainSocketPeers = options.TrustUnixDomainSocketPeers;
        _maxHeaderSize = options.MaxHeaderSize;
        _headerTimeout = options.HeaderTimeout;
        _timeProvider = options.TimeProvider;
        _logger = options.LoggerFactory.CreateLogger("TcpToolkit.Proxy");
    }

    public async Task InvokeAsync(Connection connection, CancellationToken cancellationToken)
    {
        var proxyEndPoint = connection.RemoteEndPoint;
        if (!IsTrusted(proxyEndPoint))
        {
            var untrusted = new ProxyProtocolException(
                ProxyProtocolError.Untrusted,
                $"The connection from {proxyEndPoint?.ToString() ?? "an unknown peer"} is not from a trusted proxy (ProxyProtocolOptions.TrustedProxies); it may not send a PROXY protocol header.");
            Reject(connection, proxyEndPoint, untrusted);
            throw untrusted;
        }

        ProxyProtocolHeader header;
        try
        {
            header = await ReadHeaderAsync(connection.Input, cancellationToken).ConfigureAwait(false);
        }
        catch (ProxyProtocolException ex)
        {
            Reject(connection, proxyEndPoint, ex);
            throw;
        }

        header.ProxyEndPoint = proxyEndPoint;
        if (header.SourceEndPoint is { } source && header.DestinationEndPoint is { } destination)
        {
            connection.RemoteEndPoint = source;
            connection.LocalEndPoint = destination;
            ProxyLog.HeaderAccepted(_logger, connection.Id, header.Version, proxyEndPoint?.ToString(), source.ToString(), destination.ToString());
        }
        else
        {
            var kind = header.IsLocal ? "LOCAL" : header.Version == 1 ? "UNKNOWN" : "unspecified family or transport";
            ProxyLog.HeaderWithoutAddresses(_logger, connection.Id, header.Version, proxyEndPoint?.ToString(), kind);
        }

        connection.SetFeature(header);
        await _next(connection, cancellationToken).ConfigureAwait(false);
    }

    private bool IsTrusted(EndPoint? endPoint)
    {
        switch (endPoint)
        {
            case IPEndPoint ip:
                var address = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address;
                foreach (var network in _trustedProxies)
                {
                    if (network.Contains(address))
                    {
                        return true;
                    }
                }

                return false;
            case UnixDomainSocketEndPoint:
                return _trustUnixDomainSocketPeers;
            default:
                return false;
        }
    }

    private async Task<ProxyProtocolHeader> ReadHeaderAsync(PipeReader input, CancellationToken cancellationToken)
    {
        if (_headerTimeout is not { } limit)
        {
            return await ReadHeaderCoreAsync(input, cancellationToken).ConfigureAwait(false);
        }

        using var timeout = new CancellationTokenSource(limit, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            return await ReadHeaderCoreAsync(input, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ProxyProtocolException(
                ProxyProtocolError.Timeout,
                $"The PROXY protocol header did not arrive within {limit.TotalSeconds:0.###} s (ProxyProtocolOptions.HeaderTimeout).",
                ex);
        }
    }

    private async Task<ProxyProtocolHeader> ReadHeaderCoreAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var buffered = buffer.Length;
            var parse = ProxyHeaderParser.TryParse(buffer, _maxHeaderSize, out var consumed, out var examined, out var header);

            // Exactly the header is consumed; the next layer's first read returns what came after it at once.
            input.AdvanceTo(consumed, examined);
            switch (parse.Status)
            {
                case ProxyParseStatus.Parsed:
                    return header!;
                case ProxyParseStatus.Error:
                    throw new ProxyProtocolException(parse.Error, parse.Message!);
            }

            if (result.IsCompleted)
            {
                throw new ProxyProtocolException(
                    ProxyProtocolError.Truncated,
                    buffered == 0
                        ? "The peer closed the connection before sending the PROXY protocol header."
                        : $"The peer closed the connection after {buffered} bytes, inside the PROXY protocol header.");
            }

            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The read of the PROXY protocol header was cancelled.");
            }
        }
    }

    private void Reject(Connection connection, EndPoint? proxyEndPoint, ProxyProtocolException exception)
    {
        // Counted before the abort: whoever sees the connection close sees the count already.
        _options.CountRejection(exception.Error);
        connection.Telemetry?.Rejected(ErrorTypes.Of("proxy", exception.Error));
        ProxyLog.Rejected(_logger, connection.Id, proxyEndPoint?.ToString(), exception.Error, exception.Message);
        connection.Abort(CloseReason.MiddlewareError, exception.Message);
    }
}
