using System.Diagnostics;
using System.Text;
using TcpToolkit.Framing;
using TcpToolkit.Fuzz;

namespace TcpToolkit.Tests.Fuzzing;

/// <summary>
/// The bounded, seeded counterpart of the AFL runs (tests/TcpToolkit.Fuzz): for one fuzz target, mutate valid
/// encoded frames <see cref="InputsPerTarget"/> times and feed each result whole, as one read of random segments,
/// as random successive reads and as many small reads. Only <see cref="FramingException"/> and its subclasses may
/// escape; the decoder must keep the examined/consumed contract, never loop, and decode the same however the input
/// is split (all checked by <see cref="DecoderDriver"/>). A failure prints the input in hex for a regression test.
/// </summary>
/// <remarks>
/// The targets are spread over three test classes (<see cref="TargetsOf"/>) so that xunit runs them on both cores:
/// together they cost about 20 s of CPU in Debug, 12 s in Release.
/// </remarks>
internal static class MutationTestRunner
{
    public const int InputsPerTarget = 100_000;

    // A row takes 1 to 5 s of CPU (Debug); the timeout only catches a decoder spinning inside one call, and is wide
    // because wall-clock time on a loaded 2-core machine can be several times the CPU time.
    public const int Timeout = 180_000;

    // Fixed so a failure reproduces; each target mixes in its name so targets see different streams.
    private const int Seed = 20_261_124;

    /// <summary>The names of the targets whose name starts with one of <paramref name="prefixes"/>.</summary>
    public static TheoryData<string> TargetsOf(params string[] prefixes) =>
        [.. FuzzTargets.All.Select(t => t.Name).Where(name => prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))];

    /// <summary>Runs the mutations for one target off the test thread (so the timeout can fire) and checks the result.</summary>
    public static async Task RunAsync(string targetName, CancellationToken cancellationToken)
    {
        FuzzTarget target = FuzzTargets.Find(targetName)!;
        int seed = Seed ^ (int)FrameDigest.Hash(Encoding.UTF8.GetBytes(targetName));

        MutationRun run = await Task.Run(() => Run(target, seed, cancellationToken), cancellationToken);

        string summary = $"{targetName}: {run.Inputs:N0} inputs (seed {seed}) in {run.Elapsed.TotalMilliseconds:N0} ms; " +
            $"{run.Frames:N0} frames decoded, {run.Errors:N0} inputs ended by a FramingException";
        TestContext.Current.SendDiagnosticMessage(summary);
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        run.Inputs.Should().Be(InputsPerTarget);
        run.Frames.Should().BePositive("some mutations leave frames intact");
        if (target.CanThrow)
        {
            run.Errors.Should().BePositive("the mutations must reach the error paths");
        }
    }

    /// <summary>Valid frames decode completely under many splits, and every seed-corpus edge case runs cleanly.</summary>
    public static void CheckValidFramesAndEdgeCases(string targetName)
    {
        FuzzTarget target = FuzzTargets.Find(targetName)!;
        var random = new Random(Seed);
        for (int i = 0; i < 50; i++)
        {
            ValidInput valid = target.CreateValidInput(random);
            for (int first = 0; first <= valid.Bytes.Length; first += 3)
            {
                DecodeOutcome outcome = target.Run(valid.Bytes, first, Math.Min(valid.Bytes.Length, first + random.Next(8)));
                outcome.Should().Be(new DecodeOutcome(valid.Frames, outcome.Digest, 0, null), "valid frames decode completely");
            }
        }

        foreach ((string name, byte[] data) in target.EdgeCases)
        {
            Action run = () => target.Run(data);
            run.Should().NotThrow($"edge case {name} holds no bug");
        }
    }

    private static MutationRun Run(FuzzTarget target, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var stopwatch = Stopwatch.StartNew();
        long frames = 0;
        int errors = 0;
        ValidInput valid = target.CreateValidInput(random);
        for (int i = 0; i < InputsPerTarget; i++)
        {
            if (i % 64 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                valid = target.CreateValidInput(random);
            }

            byte[] data = Mutator.Mutate(random, valid);
            int first = random.Next(data.Length + 1);
            int second = random.Next(data.Length + 1);
            (first, second) = first <= second ? (first, second) : (second, first);
            DecodeOutcome outcome;
            try
            {
                outcome = target.Run(data, first, second);
            }
            catch (Exception ex)
            {
                // Not swallowed: fail with everything needed to turn the input into a regression test.
                Assert.Fail($"{target.Name}, input {i} (seed {seed}), split at {first} and {second}: {Convert.ToHexString(data)}{Environment.NewLine}{ex}");
                throw;
            }

            frames += outcome.Frames;
            errors += outcome.Error is null ? 0 : 1;
        }

        return new MutationRun(InputsPerTarget, frames, errors, stopwatch.Elapsed);
    }

    private readonly record struct MutationRun(int Inputs, long Frames, int Errors, TimeSpan Elapsed);
}
