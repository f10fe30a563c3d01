using Microsoft.Extensions.Logging;

namespace TcpToolkit.Framing.Internal;

/// <summary>
/// Framing events, IDs 200-299. Every event is Debug: they describe one connection's peer, and a hostile peer must
/// not be able to flood an application's default log level (the reasoning Kestrel applies to bad requests).
/// </summary>
internal static partial class FramingLog
{
    [LoggerMessage(EventId = 200, EventName = "FrameDiscarded", Level = LogLevel.Debug,
        Message = "Discarded a bad frame ({Reason}, {ByteCount} bytes) and continued with the next one.")]
    public static partial void FrameDiscarded(ILogger logger, FrameDiscardReason reason, long byteCount);

    [LoggerMessage(EventId = 201, EventName = "FrameTooLarge", Level = LogLevel.Debug,
        Message = "Frame length {Length} exceeds the maximum frame length {MaxFrameLength}; no further frames can be read.")]
    public static partial void FrameTooLarge(ILogger logger, long length, long maxFrameLength);

    [LoggerMessage(EventId = 202, EventName = "InvalidFrame", Level = LogLevel.Debug,
        Message = "Invalid frame; no further frames can be read.")]
    public static partial void InvalidFrame(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 203, EventName = "TruncatedFrame", Level = LogLevel.Debug,
        Message = "The stream ended in the middle of a frame ({BufferedBytes} bytes buffered).")]
    public static partial void TruncatedFrame(ILogger logger, long bufferedBytes);
}
