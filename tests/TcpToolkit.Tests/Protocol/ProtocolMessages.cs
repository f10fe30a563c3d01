using System.Text;
using TcpToolkit.Protocol;

namespace TcpToolkit.Tests.Protocol;

/// <summary>
/// The guide's messages built with the codec's generic factories alone. The demo application's own factories live in
/// the samples (samples/Shared/GuideApp, tested with the samples); these check the codec against the captured bytes.
/// </summary>
internal static class ProtocolMessages
{
    /// <summary>The content type of the guide client's binary requests.</summary>
    public const string ClientBinaryContentType = "binary/custom-client-binary-type";

    /// <summary>The content type of the guide server's binary answers.</summary>
    public const string ServerBinaryContentType = "binary/custom-server-binary-type";

    /// <summary>What app-client.py sends for <c>search &lt;value&gt;</c>: <c>{"action": "search", "value": ...}</c>.</summary>
    public static JsonHeaderMessage SearchRequest(string value) =>
        JsonHeaderMessage.CreateJson(new KeyValuePair<string, string?>("action", "search"), new KeyValuePair<string, string?>("value", value));

    /// <summary>What app-server.py answers a search with: <c>{"result": ...}</c>.</summary>
    public static JsonHeaderMessage SearchResponse(string result) =>
        JsonHeaderMessage.CreateJson(new KeyValuePair<string, string?>("result", result));

    /// <summary>What app-client.py sends for any other action: the UTF-8 of action and value, joined.</summary>
    public static JsonHeaderMessage BinaryRequest(string action, string value) =>
        JsonHeaderMessage.CreateBinary(Encoding.UTF8.GetBytes(action + value), ClientBinaryContentType);
}
