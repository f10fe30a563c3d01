using System.Globalization;
using System.Net;
using System.Text;

namespace TcpToolkit.Benchmarks.Compare;

/// <summary>
/// The results as an SVG (written here, no external tools): a grid of small panels, one per scenario and metric
/// (msg/s, higher is better; p99, lower is better), each with one bar per server on its own scale.
/// </summary>
internal static class Chart
{
    private const int PanelWidth = 300;
    private const int PanelHeight = 220;
    private const int Margin = 20;
    private const int LegendHeight = 60;
    private const int LegendItemWidth = 230;
    private const int LegendRowHeight = 20;

    // TcpToolkit and its fastest mode in blues, Kestrel and Kestrel-inline in oranges (the table's order), then the rest.
    private static readonly string[] Colors = ["#2b6cb0", "#63b3ed", "#c05621", "#f6ad55", "#718096", "#2f855a", "#6b46c1"];

    public static string Svg(List<Summary> summaries, PeerServer[] servers, Scenario[] scenarios, string generator)
    {
        var c = CultureInfo.InvariantCulture;
        var width = (scenarios.Length * (PanelWidth + Margin)) + Margin;
        var colors = servers.Select(s => Colors[Math.Max(0, Array.IndexOf(HarnessOptions.AllServerIds, s.Id)) % Colors.Length]).ToArray();
        var perLegendRow = Math.Max(1, (width - Margin) / LegendItemWidth);
        var legendHeight = LegendHeight + ((servers.Length - 1) / perLegendRow * LegendRowHeight);
        var height = legendHeight + (2 * (PanelHeight + Margin)) + Margin;
        var svg = new StringBuilder();
        svg.Append(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">").AppendLine();
        svg.Append(c, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>").AppendLine();
        svg.Append(c, $"<text x=\"{Margin}\" y=\"22\" font-size=\"16\" font-weight=\"bold\">Echo servers, server on 1 core, {Escape(generator)} on the other (medians)</text>").AppendLine();
        for (var i = 0; i < servers.Length; i++)
        {
            var x = Margin + (i % perLegendRow * LegendItemWidth);
            var y = 36 + (i / perLegendRow * LegendRowHeight);
            svg.Append(c, $"<rect x=\"{x}\" y=\"{y}\" width=\"14\" height=\"14\" fill=\"{colors[i]}\"/>");
            svg.Append(c, $"<text x=\"{x + 20}\" y=\"{y + 12}\">{Escape(servers[i].Name)}</text>").AppendLine();
        }

        for (var s = 0; s < scenarios.Length; s++)
        {
            var x = Margin + (s * (PanelWidth + Margin));
            var values = servers.Select(server => summaries.FirstOrDefault(m => m.Scenario == scenarios[s] && m.Server == server)?.Median).ToArray();
            Panel(svg, x, legendHeight, scenarios[s].Name + ": msg/s (higher is better)", scenarios[s].Describe(), values.Select(v => v?.MessagesPerSecond).ToArray(), colors, "N0");
            Panel(svg, x, legendHeight + PanelHeight + Margin, scenarios[s].Name + ": p99 µs (lower is better)", scenarios[s].Describe(), values.Select(v => v?.P99).ToArray(), colors, "N0");
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, int x, int y, string title, string subtitle, double?[] values, string[] colors, string format)
    {
        var c = CultureInfo.InvariantCulture;
        const int Top = 44;
        const int Bottom = 24;
        var plotHeight = PanelHeight - Top - Bottom;
        var max = values.Max(v => v ?? 0);
        max = max > 0 ? max : 1;
        svg.Append(c, $"<g transform=\"translate({x},{y})\">").AppendLine();
        svg.Append(c, $"<rect width=\"{PanelWidth}\" height=\"{PanelHeight}\" fill=\"#f7fafc\" stroke=\"#cbd5e0\"/>").AppendLine();
        svg.Append(c, $"<text x=\"8\" y=\"18\" font-weight=\"bold\">{Escape(title)}</text>").AppendLine();
        svg.Append(c, $"<text x=\"8\" y=\"34\" fill=\"#4a5568\">{Escape(subtitle)}</text>").AppendLine();
        var slot = (PanelWidth - 20) / (double)values.Length;
        var barWidth = slot * 0.7;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is not { } value)
            {
                continue;
            }

            var barHeight = value / max * (plotHeight - 14);
            var bx = 10 + (i * slot) + ((slot - barWidth) / 2);
            var by = Top + plotHeight - barHeight;
            svg.Append(c, $"<rect x=\"{bx:0.#}\" y=\"{by:0.#}\" width=\"{barWidth:0.#}\" height=\"{barHeight:0.#}\" fill=\"{colors[i]}\"/>");
            svg.Append(c, $"<text x=\"{bx + (barWidth / 2):0.#}\" y=\"{by - 3:0.#}\" text-anchor=\"middle\" font-size=\"10\">{value.ToString(format, c)}</text>").AppendLine();
        }

        svg.Append(c, $"<line x1=\"8\" y1=\"{Top + plotHeight}\" x2=\"{PanelWidth - 8}\" y2=\"{Top + plotHeight}\" stroke=\"#4a5568\"/>").AppendLine();
        svg.AppendLine("</g>");
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
