using System.Diagnostics;
using System.Net;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// The <c>server.address</c> and <c>server.port</c> of an endpoint, worked out once (per client, or per connection
/// when a span first needs them) so that recording them allocates nothing: the port is boxed once here.
/// </summary>
internal sealed class EndPointTags
{
    public EndPointTags(EndPoint? endPoint)
    {
        switch (endPoint)
        {
            case IPEndPoint ip:
                Address = (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address).ToString();
                Port = ip.Port;
                break;
            case DnsEndPoint dns:
                Address = dns.Host;
                Port = dns.Port;
                break;
            case null:
                break;
            default:
                // A Unix domain socket's path, or whatever endpoint a custom connection factory understands.
                Address = endPoint.ToString();
                break;
        }
    }

    /// <summary>Gets the address (an IP address, a host name or a socket path), or <see langword="null"/>.</summary>
    public string? Address { get; }

    /// <summary>Gets the boxed port, or <see langword="null"/> when the endpoint has none.</summary>
    public object? Port { get; }

    public void AddTo(ref TagList tags)
    {
        if (Address is not null)
        {
            tags.Add("server.address", Address);
        }

        if (Port is not null)
        {
            tags.Add("server.port", Port);
        }
    }

    public void AddTo(Activity activity)
    {
        if (Address is not null)
        {
            activity.SetTag("server.address", Address);
        }

        if (Port is not null)
        {
            activity.SetTag("server.port", Port);
        }
    }
}
