namespace TcpToolkit.Proxy.Internal;

/// <summary>What <see cref="ProxyHeaderParser.TryParse"/> found.</summary>
internal enum ProxyParseStatus
{
    /// <summary>The bytes so far are the start of a valid header: read more.</summary>
    NeedMoreData,

    /// <summary>A whole, valid header.</summary>
    Parsed,

    /// <summary>Not a valid header; <see cref="ProxyParseResult.Error"/> says why.</summary>
    Error,
}

/// <summary>The outcome of one parse attempt: a status and, for an error, its typed reason and words.</summary>
internal readonly record struct ProxyParseResult(ProxyParseStatus Status, ProxyProtocolError Error, string? Message)
{
    public static ProxyParseResult NeedMoreData => new(ProxyParseStatus.NeedMoreData, default, null);

    public static ProxyParseResult Parsed => new(ProxyParseStatus.Parsed, default, null);

    public static ProxyParseResult Fail(ProxyProtocolError error, string message) => new(ProxyParseStatus.Error, error, message);
}
