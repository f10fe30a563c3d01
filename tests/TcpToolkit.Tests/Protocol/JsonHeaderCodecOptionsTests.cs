using TcpToolkit.Protocol;

namespace TcpToolkit.Tests.Protocol;

public sealed class JsonHeaderCodecOptionsTests
{
    [Fact]
    public void Constructor_Defaults_OneMebibyteAndHostByteOrder()
    {
        var options = new JsonHeaderCodecOptions();

        options.MaxContentLength.Should().Be(1_048_576);
        options.ByteOrder.Should().Be(BitConverter.IsLittleEndian ? "little" : "big");
        JsonHeaderCodecOptions.MaxHeaderLength.Should().Be(65535);
        JsonHeaderCodecOptions.Default.MaxContentLength.Should().Be(JsonHeaderCodecOptions.DefaultMaxContentLength);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(0x7FFFFFC7)]
    public void MaxContentLength_InRange_Kept(int value)
    {
        new JsonHeaderCodecOptions { MaxContentLength = value }.MaxContentLength.Should().Be(value);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(0x7FFFFFC8)]
    [InlineData(int.MaxValue)]
    public void MaxContentLength_OutOfRange_Throws(int value)
    {
        Action act = () => _ = new JsonHeaderCodecOptions { MaxContentLength = value };

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData("little")]
    [InlineData("big")]
    public void ByteOrder_LittleOrBig_Kept(string value)
    {
        new JsonHeaderCodecOptions { ByteOrder = value }.ByteOrder.Should().Be(value);
    }

    [Theory]
    [InlineData("Little")]
    [InlineData("")]
    [InlineData("middle")]
    public void ByteOrder_Other_Throws(string value)
    {
        Action act = () => _ = new JsonHeaderCodecOptions { ByteOrder = value };

        act.Should().Throw<ArgumentException>().WithMessage("*little*big*");
    }

    [Fact]
    public void ByteOrder_Null_Throws()
    {
        Action act = () => _ = new JsonHeaderCodecOptions { ByteOrder = null! };

        act.Should().Throw<ArgumentNullException>();
    }
}
