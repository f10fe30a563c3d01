using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Datagrams.Internal;

/// <summary>
/// One place in the receive queue: the payload in a pooled buffer, a copy of the sender's address in a
/// <see cref="SocketAddress"/> made once per slot, and a version that changes each time the slot is released so a
/// <see cref="Datagram"/> kept past its read fails loudly instead of showing the next datagram's bytes.
/// </summary>
internal sealed class DatagramSlot(AddressFamily family, UdpEndpoint owner)
{
    public byte[] Buffer { get; set; } = [];

    public int Length { get; set; }

    public bool IsTruncated { get; set; }

    public SocketAddress Address { get; } = new(family);

    public int Version { get; private set; }

    /// <summary>Gets the endpoint, whose cache turns <see cref="Address"/> into an endpoint object.</summary>
    public UdpEndpoint Owner { get; } = owner;

    public void Fill(ReadOnlySpan<byte> payload, SocketAddress address, bool truncated, DatagramBufferPool pool)
    {
        Buffer = pool.Rent(payload.Length);
        payload.CopyTo(Buffer);
        Length = payload.Length;
        IsTruncated = truncated;
        address.Buffer.Span[..address.Size].CopyTo(Address.Buffer.Span);
        Address.Size = address.Size;
    }

    public void Release(DatagramBufferPool pool)
    {
        Version++;
        pool.Return(Buffer);
        Buffer = [];
        Length = 0;
    }
}
