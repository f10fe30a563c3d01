using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using TcpToolkit.Datagrams.Internal;

namespace TcpToolkit.Datagrams;

/// <summary>
/// A UDP socket with a receive loop: datagrams (message boundaries kept, no connection, no delivery or ordering
/// guarantee) are sent with <see cref="SendToAsync"/> and read with <see cref="ReadAllAsync"/>. The loop drains the
/// socket into a bounded queue of pooled buffers with <see cref="Socket.ReceiveFromAsync(Memory{byte}, SocketFlags, SocketAddress, CancellationToken)"/>
/// and one reused <see cref="SocketAddress"/>, so a steady stream allocates nothing per datagram. When the reader
/// falls behind and the queue is full, the newest datagram is dropped and counted (<see cref="DatagramsDropped"/>),
/// as the kernel does; a datagram over <see cref="UdpEndpointOptions.MaxDatagramSize"/> is delivered truncated,
/// flagged and counted (<see cref="DatagramsTruncated"/>); ICMP errors (port unreachable) are logged and the loop
/// goes on. Create one with <see cref="Bind"/>; <see cref="Connect"/> turns it into a one-peer endpoint.
/// <see cref="DisposeAsync"/> stops the loop, returns every buffer, and ends the reader cleanly.
/// </summary>
public sealed class UdpEndpoint : IAsyncDisposable
{
    // Windows only: SIO_UDP_CONNRESET. Off, an ICMP port unreachable no longer fails the next receive of an
    // unconnected socket with WSAECONNRESET (Linux never reports ICMP errors on unconnected sockets by default).
    private const int SioUdpConnReset = -1744830452;

    // The dropped-datagram warning is written at most this often: a flood must not become a flood of log lines.
    private static readonly TimeSpan DropLogInterval = TimeSpan.FromSeconds(1);

    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly int _maxDatagramSize;
    private readonly int _multicastInterfaceIndex;
    private readonly DatagramQueue _queue;
    private readonly RemoteEndPointCache _remoteEndPoints;
    private readonly Task _receiveLoop;

    private long _received;
    private long _dropped;

    // Datagrams the receive loop has finished with (queued or dropped, counted, logged): what the test seam waits for.
    private long _handled;
    private long _truncated;
    private long _sent;
    private long _droppedSinceReport;
    private long _lastDropReport;
    private bool _dropReported;
    private IPEndPoint? _remoteEndPoint;
    private int _disposed;

    // Test seam: completes once the loop has taken this many datagrams from the socket.
    private TaskCompletionSource? _receivedSignal;
    private long _receivedSignalTarget;

    private UdpEndpoint(Socket socket, UdpEndpointOptions options, ILogger logger)
    {
        _socket = socket;
        _logger = logger;
        _timeProvider = options.TimeProvider;
        _maxDatagramSize = options.MaxDatagramSize;
        _multicastInterfaceIndex = options.MulticastInterfaceIndex;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _remoteEndPoints = new RemoteEndPointCache(socket.AddressFamily);
        _queue = new DatagramQueue(options.ReceiveQueueCapacity, options.MaxDatagramSize, socket.AddressFamily, this);
        DatagramLog.Bound(_logger, LocalEndPoint);

        // On the thread pool: Bind returns at once and the loop never sees the caller's synchronization context.
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Gets the bound endpoint, with the port the operating system picked when bound to port 0.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Gets the peer given to <see cref="Connect"/>, or <see langword="null"/> when not connected.</summary>
    public IPEndPoint? RemoteEndPoint => Volatile.Read(ref _remoteEndPoint);

    /// <summary>Gets a value indicating whether the socket may send to broadcast addresses (<c>SO_BROADCAST</c>).</summary>
    /// <exception cref="ObjectDisposedException">The endpoint was disposed.</exception>
    public bool EnableBroadcast => _socket.EnableBroadcast;

    /// <summary>
    /// Gets the number of datagrams the receive loop took from the socket, including those then dropped because the
    /// queue was full. Datagrams the kernel dropped before that (a full socket buffer) are not seen and not counted.
    /// </summary>
    public long DatagramsReceived => Interlocked.Read(ref _received);

    /// <summary>
    /// Gets the number of received datagrams dropped because <see cref="UdpEndpointOptions.ReceiveQueueCapacity"/>
    /// datagrams were already waiting for the reader (drop newest).
    /// </summary>
    public long DatagramsDropped => Interlocked.Read(ref _dropped);

    /// <summary>Gets the number of received datagrams bigger than <see cref="UdpEndpointOptions.MaxDatagramSize"/> (see <see cref="Datagram.IsTruncated"/>).</summary>
    public long DatagramsTruncated => Interlocked.Read(ref _truncated);

    /// <summary>Gets the number of datagrams handed to the operating system by <see cref="SendToAsync"/> and <see cref="SendAsync"/>.</summary>
    public long DatagramsSent => Interlocked.Read(ref _sent);

    /// <summary>Gets the pooled buffers not yet returned (tests).</summary>
    internal long OutstandingBuffers => _queue.OutstandingBuffers;

    /// <summary>
    /// Opens a UDP socket bound to <paramref name="localEndPoint"/> and starts receiving. Port 0 picks a free port
    /// (see <see cref="LocalEndPoint"/>); <see cref="IPAddress.IPv6Any"/> binds dual mode, receiving IPv4 and IPv6.
    /// To receive multicast, bind to <see cref="IPAddress.Any"/> (or the group's address) and call
    /// <see cref="JoinMulticastGroup"/>.
    /// </summary>
    /// <param name="localEndPoint">The address and port to bind.</param>
    /// <param name="options">The settings; <see langword="null"/> for the defaults.</param>
    /// <returns>The endpoint, receiving. Dispose it to close the socket.</returns>
    /// <exception cref="UdpBindException">The socket could not be created, configured or bound.</exception>
    public static UdpEndpoint Bind(IPEndPoint localEndPoint, UdpEndpointOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        options ??= new UdpEndpointOptions();
        Socket? socket = null;
        try
        {
            socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            Configure(socket, localEndPoint, options);
            socket.Bind(localEndPoint);
            var endpoint = new UdpEndpoint(socket, options, options.LoggerFactory.CreateLogger<UdpEndpoint>());
            socket = null;
            return endpoint;
        }
        catch (SocketException ex)
        {
            throw new UdpBindException(localEndPoint, ex.SocketErrorCode, ex);
        }
        finally
        {
            socket?.Dispose();
        }
    }

    /// <summary>
    /// Connected mode: from now on this endpoint sends only to <paramref name="remoteEndPoint"/> (with
    /// <see cref="SendAsync"/>) and the kernel delivers only datagrams from it. There is no handshake: nothing is sent.
    /// Datagrams from other peers already queued are still read. An ICMP port unreachable for a datagram sent to the
    /// peer is logged and the endpoint keeps going. An endpoint connects once: bind another one for another peer
    /// (.NET refuses to connect a socket again once it has reported an error such as that ICMP one).
    /// </summary>
    /// <param name="remoteEndPoint">The one peer.</param>
    /// <exception cref="InvalidOperationException">The endpoint is already connected.</exception>
    /// <exception cref="SocketException">The operating system refused (for example, no route to the peer).</exception>
    /// <exception cref="ObjectDisposedException">The endpoint was disposed.</exception>
    public void Connect(IPEndPoint remoteEndPoint)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.CompareExchange(ref _remoteEndPoint, remoteEndPoint, null) is not null)
        {
            throw new InvalidOperationException("The endpoint is already connected; bind another endpoint for another peer.");
        }

        try
        {
            _socket.Connect(remoteEndPoint);
        }
        catch (SocketException)
        {
            Volatile.Write(ref _remoteEndPoint, null);
            throw;
        }

        DatagramLog.Connected(_logger, LocalEndPoint, remoteEndPoint);
    }

    /// <summary>
    /// Sends one datagram to <paramref name="remoteEndPoint"/>. It is sent whole or not at all; UDP does not say
    /// whether it arrived. An ICMP error about an earlier datagram that the operating system reports here instead of
    /// sending is logged and the datagram sent again, once.
    /// </summary>
    /// <param name="payload">The payload: at most 65,507 bytes over IPv4, 65,527 over IPv6; empty is allowed.</param>
    /// <param name="remoteEndPoint">Where to send it (an IPv4 address works on a dual-mode endpoint too).</param>
    /// <param name="cancellationToken">Cancels a send still waiting for socket buffer space.</param>
    /// <returns>A task that completes when the operating system took the datagram.</returns>
    /// <exception cref="InvalidOperationException">The endpoint is connected: use <see cref="SendAsync"/>.</exception>
    /// <exception cref="SocketException">
    /// The send failed: <see cref="SocketError.MessageSize"/> (payload too big), <see cref="SocketError.AccessDenied"/>
    /// (a broadcast address without <see cref="UdpEndpointOptions.EnableBroadcast"/>),
    /// <see cref="SocketError.NetworkUnreachable"/> (no route), and so on.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The endpoint was disposed.</exception>
    public ValueTask SendToAsync(ReadOnlyMemory<byte> payload, IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (RemoteEndPoint is not null)
        {
            throw new InvalidOperationException("The endpoint is connected to one peer; send with SendAsync.");
        }

        return SendCoreAsync(payload, remoteEndPoint, cancellationToken);
    }

    /// <summary>Sends one datagram to the peer given to <see cref="Connect"/> (see <see cref="SendToAsync"/> for the rules).</summary>
    /// <param name="payload">The payload: at most 65,507 bytes over IPv4, 65,527 over IPv6; empty is allowed.</param>
    /// <param name="cancellationToken">Cancels a send still waiting for socket buffer space.</param>
    /// <returns>A task that completes when the operating system took the datagram.</returns>
    /// <exception cref="InvalidOperationException">The endpoint is not connected: use <see cref="SendToAsync"/>.</exception>
    /// <exception cref="SocketException">The send failed (see <see cref="SendToAsync"/>).</exception>
    /// <exception cref="ObjectDisposedException">The endpoint was disposed.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (RemoteEndPoint is null)
        {
            throw new InvalidOperationException("The endpoint is not connected; call Connect first, or send with SendToAsync.");
        }

        return SendCoreAsync(payload, remoteEndPoint: null, cancellationToken);
    }

    /// <summary>
    /// Reads the received datagrams, in the order the loop took them from the socket, until the endpoint is disposed
    /// (then the sequence ends cleanly; datagrams still queued are discarded). Each <see cref="Datagram"/> is valid until
    /// the loop asks for the next one. One reader at a time; reading again after a loop ended is fine.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting with <see cref="OperationCanceledException"/>; the endpoint keeps receiving.</param>
    /// <returns>The datagrams.</returns>
    /// <exception cref="InvalidOperationException">Another reader is reading this endpoint.</exception>
    /// <exception cref="IOException">The receive loop died of an unexpected error (logged as Critical), after the datagrams received before it.</exception>
    public async IAsyncEnumerable<Datagram> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        _queue.EnterReader();
        try
        {
            while (await _queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_queue.TryRead(out var datagram))
                {
                    yield return datagram;
                }
            }
        }
        finally
        {
            _queue.ExitReader();
        }
    }

    /// <summary>
    /// Joins the multicast group <paramref name="group"/> on the interface of
    /// <see cref="UdpEndpointOptions.MulticastInterfaceIndex"/> (0: the operating system's choice), so datagrams sent to
    /// the group and this endpoint's port arrive here. IPv4 groups need an IPv4 or dual-mode endpoint, IPv6 groups an
    /// IPv6 one.
    /// </summary>
    /// <param name="group">A multicast address, such as 239.255.0.1 (IPv4, organization-local) or ff15::1 (IPv6).</param>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not multicast, or of the other address family.</exception>
    /// <exception cref="SocketException">The operating system refused (for example, no such interface).</exception>
    /// <exception cref="ObjectDisposedException">The endpoint was disposed.</exception>
    public void JoinMulticastGroup(IPAddress group)
    {
        SetMembership(group, join: true);
        DatagramLog.MulticastJoined(_logger, LocalEndPoint, group, _multicastInterfaceIndex);
    }

    /// <summary>Leaves a group joined with <see cref="JoinMulticastGroup"/>.</summary>
    /// <param name="group">The multicast address.</param>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not multicast, or of the other address family.</exception>
    /// <exception cref="SocketException">The operating system refused (for example, the group was not joined).</exception>
    /// <exception cref="ObjectDisposedException">The endpoint was disposed.</exception>
    public void LeaveMulticastGroup(IPAddress group)
    {
        SetMembership(group, join: false);
        DatagramLog.MulticastLeft(_logger, LocalEndPoint, group, _multicastInterfaceIndex);
    }

    /// <summary>
    /// Closes the socket, waits for the receive loop to end, returns the queued datagrams' buffers to the pool and ends
    /// the reader's sequence cleanly. Sends in progress fail. Calling it again does nothing.
    /// </summary>
    /// <returns>A task that completes when the loop has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _receiveLoop.ConfigureAwait(false);
            return;
        }

        // Closing the socket is what stops the loop: its pending receive fails with OperationAborted. (Passing a
        // token to every receive instead would cost a registration per datagram.)
        _socket.Dispose();
        await _receiveLoop.ConfigureAwait(false);
        _queue.Complete(error: null);
        DatagramLog.Closed(_logger, LocalEndPoint, DatagramsReceived, DatagramsDropped, DatagramsTruncated, DatagramsSent);
    }

    /// <summary>
    /// Test seam: completes once the receive loop has taken at least <paramref name="count"/> datagrams from the socket
    /// and finished with them (queued or dropped, counted and logged).
    /// </summary>
    internal Task WaitForReceivedAsync(long count)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _receivedSignalTarget, count);
        Volatile.Write(ref _receivedSignal, signal);
        if (Volatile.Read(ref _handled) >= count)
        {
            signal.TrySetResult();
        }

        return signal.Task;
    }

    /// <summary>The <see cref="Datagram.RemoteEndPoint"/> of a received address, from the cache of recent peers.</summary>
    internal IPEndPoint ResolveRemoteEndPoint(SocketAddress address) => _remoteEndPoints.Get(address);

    private static void Configure(Socket socket, IPEndPoint localEndPoint, UdpEndpointOptions options)
    {
        var ipv6 = localEndPoint.AddressFamily == AddressFamily.InterNetworkV6;
        var dualMode = ipv6 && localEndPoint.Address.Equals(IPAddress.IPv6Any);
        if (dualMode)
        {
            socket.DualMode = true;
        }

        if (OperatingSystem.IsWindows())
        {
            socket.IOControl(SioUdpConnReset, [0, 0, 0, 0], null);
        }

        if (options.ReceiveBufferSize is { } receiveBufferSize)
        {
            socket.ReceiveBufferSize = receiveBufferSize;
        }

        socket.EnableBroadcast = options.EnableBroadcast;

        // Multicast options exist per IP version; a dual-mode socket sends both, so it gets both.
        if (!ipv6 || dualMode)
        {
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, options.MulticastLoopback);
            if (options.MulticastInterfaceIndex != 0)
            {
                // IPv4 takes an interface index in network byte order (the Windows convention; .NET maps it on Unix).
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(options.MulticastInterfaceIndex));
            }
        }

        if (ipv6)
        {
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, options.MulticastLoopback);
            if (options.MulticastInterfaceIndex != 0)
            {
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, options.MulticastInterfaceIndex);
            }
        }
    }

    private void SetMembership(IPAddress group, bool join)
    {
        ArgumentNullException.ThrowIfNull(group);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var option = join ? SocketOptionName.AddMembership : SocketOptionName.DropMembership;
        if (group.AddressFamily == AddressFamily.InterNetwork && IsIPv4Multicast(group))
        {
            if (_socket.AddressFamily == AddressFamily.InterNetworkV6 && !_socket.DualMode)
            {
                throw new ArgumentException("An IPv4 group needs an IPv4 endpoint or one bound to [::] (dual mode).", nameof(group));
            }

            _socket.SetSocketOption(SocketOptionLevel.IP, option, new MulticastOption(group, _multicastInterfaceIndex));
        }
        else if (group.AddressFamily == AddressFamily.InterNetworkV6 && group.IsIPv6Multicast)
        {
            if (_socket.AddressFamily != AddressFamily.InterNetworkV6)
            {
                throw new ArgumentException("An IPv6 group needs an IPv6 endpoint.", nameof(group));
            }

            _socket.SetSocketOption(SocketOptionLevel.IPv6, option, new IPv6MulticastOption(group, _multicastInterfaceIndex));
        }
        else
        {
            throw new ArgumentException($"{group} is not a multicast address.", nameof(group));
        }
    }

    private static bool IsIPv4Multicast(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        return address.TryWriteBytes(bytes, out _) && (bytes[0] & 0xF0) == 0xE0;
    }

    private ValueTask SendCoreAsync(ReadOnlyMemory<byte> payload, IPEndPoint? remoteEndPoint, CancellationToken cancellationToken)
    {
        // A UDP send almost always completes at once (the kernel copies the datagram or drops it): that path allocates
        // nothing, whatever the build (a Debug build makes every async state machine a class, allocated per call).
        var send = remoteEndPoint is null
            ? _socket.SendAsync(payload, SocketFlags.None, cancellationToken)
            : _socket.SendToAsync(payload, SocketFlags.None, remoteEndPoint, cancellationToken);
        if (send.IsCompletedSuccessfully)
        {
            _ = send.Result;
            Interlocked.Increment(ref _sent);
            return ValueTask.CompletedTask;
        }

        return SendSlowAsync(send, payload, remoteEndPoint, cancellationToken);
    }

    private async ValueTask SendSlowAsync(ValueTask<int> pending, ReadOnlyMemory<byte> payload, IPEndPoint? remoteEndPoint, CancellationToken cancellationToken)
    {
        try
        {
            await pending.ConfigureAwait(false);
            Interlocked.Increment(ref _sent);
            return;
        }
        catch (SocketException ex) when (UdpSocketErrors.IsIcmpReport(ex.SocketErrorCode))
        {
            // Linux hands a pending ICMP error (say, port unreachable for the previous datagram) to whichever call
            // comes next and does not send; the error is consumed, so one more try sends this datagram. A real
            // problem with this send (no route) fails the second try too, and that one throws.
            DatagramLog.SendRetried(_logger, LocalEndPoint, ex.SocketErrorCode);
        }

        if (remoteEndPoint is null)
        {
            await _socket.SendAsync(payload, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _socket.SendToAsync(payload, SocketFlags.None, remoteEndPoint, cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _sent);
    }

    private async Task ReceiveLoopAsync()
    {
        // One buffer one byte longer than the largest datagram accepted: a receive that fills it saw a bigger datagram
        // (on Linux, .NET cuts it to the buffer silently). Pinned, so the socket engine need not pin it per receive.
        var buffer = GC.AllocateUninitializedArray<byte>(_maxDatagramSize + 1, pinned: true);
        var address = new SocketAddress(_socket.AddressFamily);
        try
        {
            while (true)
            {
                int received;
                try
                {
                    received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, address, CancellationToken.None).ConfigureAwait(false);
                }
                catch (SocketException ex) when (Volatile.Read(ref _disposed) == 0 && UdpSocketErrors.IsIcmpReport(ex.SocketErrorCode))
                {
                    DatagramLog.PeerUnreachable(_logger, LocalEndPoint, ex.SocketErrorCode);
                    continue;
                }
                catch (SocketException ex) when (Volatile.Read(ref _disposed) == 0 && ex.SocketErrorCode == SocketError.MessageSize)
                {
                    // Windows reports a datagram bigger than the buffer as an error (WSAEMSGSIZE) rather than a count,
                    // and the sender's address is not reliably known then: counted and logged as truncated, not delivered.
                    Interlocked.Increment(ref _received);
                    Interlocked.Increment(ref _truncated);
                    DatagramLog.ReceiveFailed(_logger, LocalEndPoint, ex.SocketErrorCode);
                    Volatile.Write(ref _handled, _handled + 1);
                    continue;
                }
                catch (SocketException ex) when (Volatile.Read(ref _disposed) == 0 && UdpSocketErrors.IsTransientReceive(ex.SocketErrorCode))
                {
                    DatagramLog.ReceiveFailed(_logger, LocalEndPoint, ex.SocketErrorCode);
                    continue;
                }
                catch (Exception ex) when (Volatile.Read(ref _disposed) != 0 && ex is SocketException or ObjectDisposedException)
                {
                    // DisposeAsync closed the socket under the pending receive: the normal way out.
                    return;
                }

                OnReceived(buffer, received, address);
            }
        }
        catch (Exception ex)
        {
            // Anything else is a bug or a broken socket: say so loudly, and let the reader see it after what was queued.
            DatagramLog.ReceiveLoopDied(_logger, LocalEndPoint, ex);
            _queue.Complete(ex);
        }
    }

    private void OnReceived(byte[] buffer, int received, SocketAddress address)
    {
        var truncated = received > _maxDatagramSize;
        var length = truncated ? _maxDatagramSize : received;
        var total = Interlocked.Increment(ref _received);
        if (truncated)
        {
            Interlocked.Increment(ref _truncated);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                // Not from the reader's cache: this is the loop's thread. Truncation is rare; the endpoint object is for the log only.
                DatagramLog.DatagramTruncated(_logger, LocalEndPoint, RemoteEndPointCache.CreateUncached(address), _maxDatagramSize);
            }
        }

        if (!_queue.TryEnqueue(buffer.AsSpan(0, length), address, truncated))
        {
            OnDropped();
        }

        Volatile.Write(ref _handled, _handled + 1);
        if (Volatile.Read(ref _receivedSignal) is { } signal && total >= Volatile.Read(ref _receivedSignalTarget))
        {
            signal.TrySetResult();
        }
    }

    private void OnDropped()
    {
        var total = Interlocked.Increment(ref _dropped);
        _droppedSinceReport++;
        var now = _timeProvider.GetTimestamp();
        if (_dropReported && _timeProvider.GetElapsedTime(_lastDropReport, now) < DropLogInterval)
        {
            return;
        }

        DatagramLog.DatagramsDropped(_logger, LocalEndPoint, _droppedSinceReport, total);
        _droppedSinceReport = 0;
        _lastDropReport = now;
        _dropReported = true;
    }
}
