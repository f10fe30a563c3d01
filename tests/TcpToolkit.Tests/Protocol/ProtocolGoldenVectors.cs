namespace TcpToolkit.Tests.Protocol;

/// <summary>
/// The byte-level examples of the guide wire spec (§3.8), captured between the real app-client.py and app-server.py
/// (Python 3.11.7, little-endian). Each is one whole frame: proto-header, JSON header, content.
/// </summary>
internal static class ProtocolGoldenVectors
{
    /// <summary>`app-client.py ... search morpheus`: the request, 146 bytes (§3.8 dump).</summary>
    public static readonly byte[] SearchMorpheusRequest = Convert.FromHexString(
        "00677b22627974656f72646572223a20226c6974746c65222c2022636f6e7465" +
        "6e742d74797065223a2022746578742f6a736f6e222c2022636f6e74656e742d" +
        "656e636f64696e67223a20227574662d38222c2022636f6e74656e742d6c656e" +
        "677468223a2034317d7b22616374696f6e223a2022736561726368222c202276" +
        "616c7565223a20226d6f727068657573227d");

    /// <summary>The server's answer to it, 148 bytes (§3.8 dump); the rabbit is f0 9f 90 b0.</summary>
    public static readonly byte[] SearchMorpheusResponse = Convert.FromHexString(
        "00677b22627974656f72646572223a20226c6974746c65222c2022636f6e7465" +
        "6e742d74797065223a2022746578742f6a736f6e222c2022636f6e74656e742d" +
        "656e636f64696e67223a20227574662d38222c2022636f6e74656e742d6c656e" +
        "677468223a2034337d7b22726573756c74223a2022466f6c6c6f772074686520" +
        "7768697465207261626269742e20f09f90b0227d");

    /// <summary>`search foo`: 141 bytes, content-length 36.</summary>
    public static readonly byte[] SearchFooRequest = Convert.FromHexString(
        "00677b22627974656f72646572223a20226c6974746c65222c2022636f6e7465" +
        "6e742d74797065223a2022746578742f6a736f6e222c2022636f6e74656e742d" +
        "656e636f64696e67223a20227574662d38222c2022636f6e74656e742d6c656e" +
        "677468223a2033367d7b22616374696f6e223a2022736561726368222c202276" +
        "616c7565223a2022666f6f227d");

    /// <summary>The answer to `search foo`: 138 bytes, content {"result": "No match for 'foo'."} (33 bytes).</summary>
    public static readonly byte[] SearchFooResponse = Convert.FromHexString(
        "00677b22627974656f72646572223a20226c6974746c65222c2022636f6e7465" +
        "6e742d74797065223a2022746578742f6a736f6e222c2022636f6e74656e742d" +
        "656e636f64696e67223a20227574662d38222c2022636f6e74656e742d6c656e" +
        "677468223a2033337d7b22726573756c74223a20224e6f206d6174636820666f" +
        "722027666f6f272e227d");

    /// <summary>`binary 😃`: 139 bytes, proto-header 00 7f, content 62 69 6e 61 72 79 f0 9f 98 83.</summary>
    public static readonly byte[] BinaryRequest = Convert.FromHexString(
        "007f7b22627974656f72646572223a20226c6974746c65222c2022636f6e7465" +
        "6e742d74797065223a202262696e6172792f637573746f6d2d636c69656e742d" +
        "62696e6172792d74797065222c2022636f6e74656e742d656e636f64696e6722" +
        "3a202262696e617279222c2022636f6e74656e742d6c656e677468223a203130" +
        "7d62696e617279f09f9883");

    /// <summary>The answer to `binary 😃`: 166 bytes, content `First 10 bytes of request: binary` + f0 9f 98 83.</summary>
    public static readonly byte[] BinaryResponse = Convert.FromHexString(
        "007f7b22627974656f72646572223a20226c6974746c65222c2022636f6e7465" +
        "6e742d74797065223a202262696e6172792f637573746f6d2d7365727665722d" +
        "62696e6172792d74797065222c2022636f6e74656e742d656e636f64696e6722" +
        "3a202262696e617279222c2022636f6e74656e742d6c656e677468223a203337" +
        "7d4669727374203130206279746573206f6620726571756573743a2062696e61" +
        "7279f09f9883");
}
