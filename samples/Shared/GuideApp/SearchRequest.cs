namespace TcpToolkit.Samples;

/// <summary>
/// The guide's text/json request, <c>{"action": "search", "value": "morpheus"}</c>, as read by
/// <see cref="GuideAppMessages.TryReadSearchRequest"/>.
/// </summary>
/// <param name="Action">
/// The <c>action</c> member, or <see langword="null"/> when it is missing or JSON <c>null</c> (the guide's server
/// answers <c>Error: invalid action 'None'.</c>). A number or boolean comes back as its JSON text.
/// </param>
/// <param name="Value">The <c>value</c> member, with the same rules as <paramref name="Action"/>.</param>
internal readonly record struct SearchRequest(string? Action, string? Value)
{
    /// <summary>The action the guide's server answers with a lookup: <c>search</c>.</summary>
    public const string SearchAction = "search";

    /// <summary>Gets a value indicating whether <see cref="Action"/> is <c>search</c> (ordinal, case-sensitive, as in Python).</summary>
    public bool IsSearch => string.Equals(Action, SearchAction, StringComparison.Ordinal);
}
