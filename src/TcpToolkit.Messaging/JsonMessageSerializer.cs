using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace TcpToolkit.Messaging;

/// <summary>
/// The built-in <see cref="IMessageSerializer"/>: System.Text.Json with the type information of a source-generated
/// <c>JsonSerializerContext</c> (no reflection, trimming- and AOT-safe). Declare the request and response types on a
/// context (<c>[JsonSerializable(typeof(GetRequest))] partial class KvJson : JsonSerializerContext;</c>) and pass
/// <c>KvJson.Default</c>.
/// </summary>
public sealed class JsonMessageSerializer : IMessageSerializer
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private readonly JsonSerializerOptions _options;

    /// <summary>Creates a serializer over the types a resolver knows, usually a source-generated context.</summary>
    /// <param name="resolver">The type information, for example <c>MyJsonContext.Default</c>.</param>
    public JsonMessageSerializer(IJsonTypeInfoResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        _options = new JsonSerializerOptions { TypeInfoResolver = resolver };
        _options.MakeReadOnly();
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The resolver has no type information for <typeparamref name="T"/>.</exception>
    public void Serialize<T>(IBufferWriter<byte> output, T value)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = t_writer;
        t_writer = null;
        if (writer is null)
        {
            writer = new Utf8JsonWriter(output);
        }
        else
        {
            writer.Reset(output);
        }

        try
        {
            JsonSerializer.Serialize(writer, value, TypeInfo<T>());
        }
        finally
        {
            writer.Reset(Stream.Null);
            t_writer = writer;
        }
    }

    /// <inheritdoc />
    /// <exception cref="JsonException">The payload is not valid JSON for <typeparamref name="T"/>.</exception>
    public T Deserialize<T>(ReadOnlyMemory<byte> payload)
        => JsonSerializer.Deserialize(payload.Span, TypeInfo<T>())!;

    private JsonTypeInfo<T> TypeInfo<T>()
        => (JsonTypeInfo<T>)(_options.GetTypeInfo(typeof(T))
            ?? throw new NotSupportedException($"The JSON context has no type information for {typeof(T)}: add [JsonSerializable(typeof({typeof(T).Name}))]."));
}
