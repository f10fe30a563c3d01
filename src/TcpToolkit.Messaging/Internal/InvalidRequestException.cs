namespace TcpToolkit.Messaging.Internal;

/// <summary>A request's payload could not be read; answered with <see cref="MessageErrorCode.InvalidRequest"/>.</summary>
internal sealed class InvalidRequestException(string message, Exception? innerException) : Exception(message, innerException);
