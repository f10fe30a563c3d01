namespace TcpToolkit.Transport;

/// <summary>
/// A minimum rate at which a peer must send the rest of a message it has started, after a grace period: the defence
/// against slowloris peers that trickle bytes to hold a connection open. See <see cref="TcpServerOptions.MinReceiveDataRate"/>.
/// </summary>
public sealed class MinDataRate
{
    /// <summary>Creates a rate.</summary>
    /// <param name="bytesPerSecond">The minimum average rate, in bytes per second; positive.</param>
    /// <param name="gracePeriod">How long a slower peer is tolerated before the rate is enforced; positive.</param>
    public MinDataRate(double bytesPerSecond, TimeSpan gracePeriod)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        if (double.IsNaN(bytesPerSecond) || double.IsInfinity(bytesPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), bytesPerSecond, "Must be a finite positive number.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(gracePeriod, TimeSpan.Zero);
        BytesPerSecond = bytesPerSecond;
        GracePeriod = gracePeriod;
    }

    /// <summary>Gets the minimum average rate, in bytes per second.</summary>
    public double BytesPerSecond { get; }

    /// <summary>Gets how long a slower peer is tolerated before the rate is enforced.</summary>
    public TimeSpan GracePeriod { get; }

    /// <inheritdoc />
    public override string ToString() => $"{BytesPerSecond} B/s after {GracePeriod}";
}
