using TcpToolkit.Cli;

return await TcptkCommand.Create(Console.Out, Console.Error).Parse(args).InvokeAsync();
