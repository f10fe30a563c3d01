namespace TcpToolkit.Framing.Internal;

/// <summary>Defaults shared by every codec's options.</summary>
internal static class FramingDefaults
{
    /// <summary>1 MiB: large enough for typical messages, small enough that a hostile peer cannot make a connection buffer much.</summary>
    public const int MaxFrameLength = 1_048_576;

    /// <summary>Checks that a recovery policy is one of the defined values.</summary>
    public static FrameRecoveryPolicy Defined(FrameRecoveryPolicy value, string paramName)
        => Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(paramName, value, "Unknown recovery policy.");
}
