using SharpFuzz;
using TcpToolkit.Fuzz;

// The AFL/libFuzzer entry point. fuzz.sh publishes, instruments TcpToolkit.dll and runs afl-fuzz on this.
// Instrumented TcpToolkit code must not run before Fuzzer.Run starts: it would write coverage to shared memory
// that does not exist yet (an access violation). Finding a target only builds delegates, so it is safe.
// Usage:
//   TcpToolkit.Fuzz <target>                    under afl-fuzz: the fork server loop (Fuzzer.Run)
//   TcpToolkit.Fuzz <target> --replay FILE...   run saved inputs (a crash from findings/) and print what happens
//   TcpToolkit.Fuzz --list                      the target names
//   TcpToolkit.Fuzz --write-corpus DIR          (re)write the seed corpus, DIR/<target>/<case>
return args switch
{
    ["--list"] => List(),
    ["--write-corpus", string directory] => WriteCorpus(directory),
    [string name, ..] when FuzzTargets.Find(name) is null => Usage($"Unknown target '{name}'."),
    [string name] => Afl(FuzzTargets.Find(name)!),
    [string name, "--replay", .. string[] files] when files.Length > 0 => Replay(FuzzTargets.Find(name)!, files),
    _ => Usage(null),
};

static int Afl(FuzzTarget target)
{
    var buffer = new MemoryStream();
    Fuzzer.Run(stream =>
    {
        buffer.SetLength(0);
        stream.CopyTo(buffer);
        target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    });
    return 0;
}

static int Replay(FuzzTarget target, string[] files)
{
    int failures = 0;
    foreach (string file in files)
    {
        byte[] data = File.ReadAllBytes(file);
        try
        {
            DecodeOutcome outcome = target.Run(data);
            Console.WriteLine($"{file}: {data.Length} bytes, ok: {outcome}");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Replaying is for reading crashes: report every one instead of stopping at the first.
            failures++;
            Console.WriteLine($"{file}: {data.Length} bytes, CRASH: {ex}");
        }
    }

    return failures == 0 ? 0 : 1;
}

static int List()
{
    foreach (FuzzTarget target in FuzzTargets.All)
    {
        Console.WriteLine($"{target.Name,-32} {target.Description}");
    }

    return 0;
}

static int WriteCorpus(string directory)
{
    foreach (FuzzTarget target in FuzzTargets.All)
    {
        string folder = Path.Combine(directory, target.Name);
        Directory.CreateDirectory(folder);

        // A fixed seed per target: rewriting the corpus gives the same files.
        var random = new Random(target.Name.Length * 7919);
        for (int i = 0; i < 4; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"valid-{i}"), target.CreateValidInput(random).Bytes);
        }

        foreach ((string name, byte[] data) in target.EdgeCases)
        {
            File.WriteAllBytes(Path.Combine(folder, name), data);
        }
    }

    return 0;
}

static int Usage(string? problem)
{
    if (problem is not null)
    {
        Console.Error.WriteLine(problem);
    }

    Console.Error.WriteLine("Usage: TcpToolkit.Fuzz <target> [--replay FILE...] | --list | --write-corpus DIR");
    return 2;
}
