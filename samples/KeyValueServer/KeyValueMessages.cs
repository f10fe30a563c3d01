using System.Text.Json.Serialization;

namespace TcpToolkit.Samples.KeyValue;

/// <summary>Reads the value of a key (method "get").</summary>
/// <param name="Key">The key.</param>
public sealed record GetRequest(string Key);

/// <summary>Sets a key to a value (method "set").</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value.</param>
public sealed record SetRequest(string Key, string Value);

/// <summary>Deletes a key (method "delete").</summary>
/// <param name="Key">The key.</param>
public sealed record DeleteRequest(string Key);

/// <summary>The answer to every command.</summary>
/// <param name="Found">Whether the key existed (for "set": always true).</param>
/// <param name="Value">The value, for "get".</param>
public sealed record KeyValueReply(bool Found, string? Value);

/// <summary>The source-generated JSON type information of the key-value messages (no reflection).</summary>
[JsonSerializable(typeof(GetRequest))]
[JsonSerializable(typeof(SetRequest))]
[JsonSerializable(typeof(DeleteRequest))]
[JsonSerializable(typeof(KeyValueReply))]
public sealed partial class KeyValueJson : JsonSerializerContext;
