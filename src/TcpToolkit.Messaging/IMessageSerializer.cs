using System.Buffers;

namespace TcpToolkit.Messaging;

/// <summary>
/// Turns request and response objects into payload bytes and back: the seam of the typed calls
/// (<see cref="MessageClient.SendRequestAsync{TRequest, TResponse}(string, TRequest, RequestOptions?, CancellationToken)"/>,
/// <see cref="MessageServer.Map{TRequest, TResponse}"/>). <see cref="JsonMessageSerializer"/> is the built-in one.
/// Implementations must be thread-safe.
/// </summary>
public interface IMessageSerializer
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="output"/>.</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="value">The value.</param>
    void Serialize<T>(IBufferWriter<byte> output, T value);

    /// <summary>Reads a <typeparamref name="T"/> from <paramref name="payload"/>.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="payload">The bytes.</param>
    /// <returns>The value.</returns>
    T Deserialize<T>(ReadOnlyMemory<byte> payload);
}
