using System.CommandLine;

namespace TcpToolkit.Cli;

/// <summary>
/// A command's TLS options, defined once per side and added to every command of that side: the servers (<c>listen</c>,
/// <c>echo-server</c>) take <see cref="ServerTlsArguments"/>, the clients (<c>connect</c>, <c>bench</c>)
/// <see cref="ClientTlsArguments"/>. Each rejects its sub-options without <c>--tls</c> (they would be silently ignored).
/// </summary>
internal abstract class TlsArguments
{
    private readonly Option[] _subOptions;

    protected TlsArguments(string description, params Option[] subOptions)
    {
        Tls = new Option<bool>("--tls") { Description = description };
        _subOptions = subOptions;
    }

    /// <summary>Gets <c>--tls</c>.</summary>
    public Option<bool> Tls { get; }

    /// <summary>Adds <c>--tls</c> and its sub-options to <paramref name="command"/>, with the check that the sub-options need <c>--tls</c>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Tls);
        foreach (var option in _subOptions)
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if (result.GetValue(Tls))
            {
                return;
            }

            foreach (var option in _subOptions)
            {
                if (result.GetResult(option) is { Implicit: false })
                {
                    result.AddError(option.Name + " needs --tls.");
                }
            }
        });
    }

    /// <summary>The parsed TLS settings, or <see langword="null"/> without <c>--tls</c>.</summary>
    public TlsSettings? Settings(ParseResult result) => result.GetValue(Tls) ? Create(result) : null;

    protected abstract TlsSettings Create(ParseResult result);
}
