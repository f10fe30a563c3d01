using TcpToolkit.Messaging.Internal;


namespace TcpToolkit.Tests.Messaging;

/// <summary>Exponential backoff with equal jitter: delay n is in [c/2, c], c = min(max, initial * 2^n).</summary>
public sealed class ReconnectBackoffTests
{
    private static readonly TimeSpan s_initial = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_max = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 200)]
    [InlineData(2, 400)]
    [InlineData(6, 6400)]
    [InlineData(7, 10000)]
    [InlineData(40, 10000)]
    [InlineData(62, 10000)]
    [InlineData(int.MaxValue, 10000)]
    public void Ceiling_Attempt_DoublesUpToTheMax(int attempt, int expectedMilliseconds)
    {
        ReconnectBackoff.Ceiling(attempt, s_initial, s_max).Should().Be(TimeSpan.FromMilliseconds(expectedMilliseconds));
    }

    [Fact]
    public void Delay_JitterValues_ScaleTheCeiling()
    {
        ReconnectBackoff.Delay(3, s_initial, s_max, () => 0).Should().Be(TimeSpan.FromMilliseconds(400));
        ReconnectBackoff.Delay(3, s_initial, s_max, () => 0.5).Should().Be(TimeSpan.FromMilliseconds(600));
        ReconnectBackoff.Delay(3, s_initial, s_max, () => 1).Should().Be(TimeSpan.FromMilliseconds(800));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    [InlineData(double.NaN)]
    public void Delay_JitterOutOfRange_IsClampedIntoTheWindow(double jitter)
    {
        var delay = ReconnectBackoff.Delay(1, s_initial, s_max, () => jitter);

        delay.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(100)).And.BeLessThanOrEqualTo(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Delay_DefaultsAndTheWorstDraws_AtMostSevenConnectsInFiveSeconds()
    {
        // Issue #13: against a server that accepts and drops, the first connect is at once and attempt n waits at
        // least half its ceiling, whatever the jitter draws.
        var elapsed = TimeSpan.Zero;
        var connects = 1;
        for (var attempt = 0; ; attempt++)
        {
            elapsed += ReconnectBackoff.Delay(attempt, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), () => 0);
            if (elapsed > TimeSpan.FromSeconds(5))
            {
                break;
            }

            connects++;
        }

        connects.Should().Be(7);
    }

    [Fact]
    public void Delay_RandomJitter_AlwaysWithinTheWindow()
    {
        var random = new Random(42);
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var ceiling = ReconnectBackoff.Ceiling(attempt, s_initial, s_max);
            ReconnectBackoff.Delay(attempt, s_initial, s_max, random.NextDouble).Should().BeLessThanOrEqualTo(ceiling).And.BeGreaterThanOrEqualTo(ceiling / 2);
        }
    }
}
