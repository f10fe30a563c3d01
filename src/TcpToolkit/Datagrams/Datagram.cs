using System.Net;
using TcpToolkit.Datagrams.Internal;

namespace TcpToolkit.Datagrams;

/// <summary>
/// One datagram from <see cref="UdpEndpoint.ReadAllAsync"/>: its payload, whole as the peer sent it (UDP keeps
/// message boundaries), and who sent it. It lives in a pooled buffer that goes back to the endpoint when the reader
/// asks for the next datagram: use it inside the loop body, and copy the payload (<c>Payload.ToArray()</c>) to keep
/// it longer. Touching it after that fails with <see cref="InvalidOperationException"/> rather than showing another
/// datagram's bytes.
/// </summary>
public readonly struct Datagram
{
    private readonly DatagramSlot? _slot;
    private readonly int _version;

    internal Datagram(DatagramSlot slot, int version)
    {
        _slot = slot;
        _version = version;
    }

    /// <summary>Gets the payload: up to <see cref="UdpEndpointOptions.MaxDatagramSize"/> bytes, possibly none.</summary>
    /// <exception cref="InvalidOperationException">The datagram was released: the reader moved on.</exception>
    public ReadOnlyMemory<byte> Payload
    {
        get
        {
            var slot = Slot;
            return slot.Buffer.AsMemory(0, slot.Length);
        }
    }

    /// <summary>Gets the payload's length in bytes.</summary>
    /// <exception cref="InvalidOperationException">The datagram was released: the reader moved on.</exception>
    public int Length => Slot.Length;

    /// <summary>
    /// Gets a value indicating whether the datagram was bigger than <see cref="UdpEndpointOptions.MaxDatagramSize"/>
    /// and <see cref="Payload"/> holds only its first <see cref="UdpEndpointOptions.MaxDatagramSize"/> bytes; the rest
    /// is lost (UDP has no way to read it later). Counted in <see cref="UdpEndpoint.DatagramsTruncated"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The datagram was released: the reader moved on.</exception>
    public bool IsTruncated => Slot.IsTruncated;

    /// <summary>
    /// Gets the sender: the address to reply to with <see cref="UdpEndpoint.SendToAsync"/>. On an endpoint bound to
    /// <see cref="IPAddress.IPv6Any"/> (dual mode) an IPv4 sender shows as an IPv4-mapped IPv6 address
    /// (<c>[::ffff:127.0.0.1]</c>). The endpoint keeps the objects of recent senders, so a steady peer is the same
    /// object every time and costs no allocation; the object is yours to keep.
    /// </summary>
    /// <exception cref="InvalidOperationException">The datagram was released: the reader moved on.</exception>
    public IPEndPoint RemoteEndPoint
    {
        get
        {
            var slot = Slot;
            var endPoint = slot.Owner.ResolveRemoteEndPoint(slot.Address);

            // The address may have been overwritten by a later datagram while it was being read: check again.
            _ = Slot;
            return endPoint;
        }
    }

    private DatagramSlot Slot
    {
        get
        {
            var slot = _slot ?? throw new InvalidOperationException("This is a default Datagram, not one read from an endpoint.");
            return slot.Version == _version
                ? slot
                : throw new InvalidOperationException("The datagram was released when the reader moved on to the next one; copy what you need to keep (Payload.ToArray()) inside the loop body.");
        }
    }
}
