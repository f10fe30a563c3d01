using TcpToolkit.Cli;

return await TcptkCommand.Create(Console.Out, Console.Error, Terminal.Detect()).Parse(args).InvokeAsync();
