using TcpToolkit.Transport.Internal.Epoll;

namespace TcpToolkit.Tests.Transport;

public sealed class BusyPollPolicyTests
{
    [Fact]
    public void Adaptive_NewLoop_Polls()
    {
        var policy = new BusyPollPolicy(BusyPollMode.Adaptive);

        policy.ShouldPoll().Should().BeTrue();
    }

    [Fact]
    public void Adaptive_PollsThatFindNothing_StopPolling()
    {
        var policy = new BusyPollPolicy(BusyPollMode.Adaptive);

        var polled = 0;
        for (var batch = 0; batch < 100 && policy.ShouldPoll(); batch++)
        {
            polled++;
            policy.OnMiss();
        }

        polled.Should().Be(BusyPollPolicy.MaxScore / BusyPollPolicy.MissCost, "each empty window costs the score");
        policy.ShouldPoll().Should().BeFalse();
    }

    [Fact]
    public void Adaptive_PollsThatPayOff_KeepPolling()
    {
        var policy = new BusyPollPolicy(BusyPollMode.Adaptive);

        // Nine windows in ten find the next event: polling pays, it goes on.
        for (var batch = 0; batch < 10_000; batch++)
        {
            policy.ShouldPoll().Should().BeTrue($"batch {batch}");
            if (batch % 10 == 9)
            {
                policy.OnMiss();
            }
            else
            {
                policy.OnHit();
            }
        }
    }

    [Fact]
    public void Adaptive_MostPollsFindNothing_PollsOnlyNowAndThen()
    {
        var policy = new BusyPollPolicy(BusyPollMode.Adaptive);

        // One window in two pays off: below the break-even, so polling stops except for the periodic probes.
        var polls = 0;
        for (var batch = 0; batch < 10_000; batch++)
        {
            if (!policy.ShouldPoll())
            {
                continue;
            }

            polls++;
            if (polls % 2 == 0)
            {
                policy.OnHit();
            }
            else
            {
                policy.OnMiss();
            }
        }

        polls.Should().BeLessThan(10_000 / 20, "a loop whose polls rarely pay stops spinning after almost every batch");
    }

    [Fact]
    public void Adaptive_AfterStopping_ProbesAgainAndResumesWhenItPays()
    {
        var policy = new BusyPollPolicy(BusyPollMode.Adaptive);
        while (policy.ShouldPoll())
        {
            policy.OnMiss();
        }

        var skipped = 1;
        while (!policy.ShouldPoll())
        {
            skipped++;
        }

        skipped.Should().Be(BusyPollPolicy.ProbeInterval);

        // The workload changed (a ping-pong started): the probe pays, polling resumes for good.
        for (var batch = 0; batch < 1_000; batch++)
        {
            policy.OnHit();
            policy.ShouldPoll().Should().BeTrue();
        }
    }

    [Fact]
    public void OffAndAlways_IgnoreTheScore()
    {
        var off = new BusyPollPolicy(BusyPollMode.Off);
        var always = new BusyPollPolicy(BusyPollMode.Always);
        for (var batch = 0; batch < 1_000; batch++)
        {
            off.ShouldPoll().Should().BeFalse();
            always.ShouldPoll().Should().BeTrue();
            off.OnHit();
            always.OnMiss();
        }
    }

    [Theory]
    [InlineData(null, "Adaptive", null)]
    [InlineData("", "Adaptive", null)]
    [InlineData("adaptive", "Adaptive", null)]
    [InlineData(" OFF ", "Off", null)]
    [InlineData("Always", "Always", null)]
    [InlineData("fast", "Adaptive", "fast")]
    public void Parse_Values_AreCaseInsensitiveAndUnknownMeansAdaptive(string? value, string expected, string? invalid)
    {
        BusyPollSettings.Parse(value, out var invalidValue).Should().Be(Enum.Parse<BusyPollMode>(expected));
        invalidValue.Should().Be(invalid);
    }
}
