using System.Collections.Concurrent;
using TcpToolkit.Diagnostics.Internal;

namespace TcpToolkit.Framing.Internal;

/// <summary>
/// The <c>tcptoolkit.frame.codec</c> attribute: a decoder's or encoder's type name without its <c>FrameDecoder</c>,
/// <c>FrameEncoder</c>, <c>Decoder</c> or <c>Encoder</c> suffix (and generic arity), in snake case, so a decoder and
/// its encoder share a name: <c>LengthFieldFrameDecoder</c> → <c>length_field</c>, <c>JsonHeaderEncoder</c> →
/// <c>json_header</c>. A program has a handful of codec types, so the vocabulary stays small; each name is made once
/// per type.
/// </summary>
internal static class FrameCodecs
{
    private static readonly ConcurrentDictionary<Type, string> Names = new();
    private static readonly string[] Suffixes = ["FrameDecoder", "FrameEncoder", "Decoder", "Encoder"];

    public static string NameOf(object codec) => Names.GetOrAdd(codec.GetType(), static type =>
    {
        var name = type.Name;
        var arity = name.IndexOf('`', StringComparison.Ordinal);
        if (arity >= 0)
        {
            name = name[..arity];
        }

        foreach (var suffix in Suffixes)
        {
            if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal))
            {
                name = name[..^suffix.Length];
                break;
            }
        }

        return ErrorTypes.SnakeCase(name);
    });

    /// <summary>Gets the <c>error.type</c> of a frame that could not be decoded.</summary>
    public static string ErrorTypeOf(FramingException exception) => exception switch
    {
        FrameTooLargeException => "frame_too_large",
        TruncatedFrameException => "truncated_frame",
        _ => "invalid_frame",
    };
}
