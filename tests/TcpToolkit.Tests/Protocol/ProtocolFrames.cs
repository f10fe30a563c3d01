using System.Buffers.Binary;
using System.Text;

namespace TcpToolkit.Tests.Protocol;

/// <summary>Hand-built frames for inputs no well-behaved encoder produces.</summary>
internal static class ProtocolFrames
{
    /// <summary>A frame with <paramref name="headerJson"/> as the JSON header (UTF-8, no BOM) and the given content.</summary>
    public static byte[] Build(string headerJson, byte[] content) => Build(Encoding.UTF8.GetBytes(headerJson), content);

    /// <summary>A frame with <paramref name="headerJson"/> as the JSON header and UTF-8 <paramref name="content"/>.</summary>
    public static byte[] Build(string headerJson, string content) => Build(headerJson, Encoding.UTF8.GetBytes(content));

    /// <summary>A frame with raw header bytes.</summary>
    public static byte[] Build(byte[] header, byte[] content)
    {
        var frame = new byte[2 + header.Length + content.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, checked((ushort)header.Length));
        header.CopyTo(frame, 2);
        content.CopyTo(frame, 2 + header.Length);
        return frame;
    }

    /// <summary>The guide's header for a text/json content of <paramref name="contentLength"/> bytes.</summary>
    public static string TextJsonHeader(int contentLength) =>
        $$"""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": {{contentLength}}}""";
}
