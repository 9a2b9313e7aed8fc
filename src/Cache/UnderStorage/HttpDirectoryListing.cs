using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>
/// The entries of a directory listing page as web servers serve it: the links of an HTML index (nginx autoindex,
/// Apache, python -m http.server), or nginx's <c>autoindex_format json</c> array.
/// </summary>
internal static partial class HttpDirectoryListing
{
    /// <summary>The links of the page, as hrefs relative to it; directories end with '/'.</summary>
    public static IReadOnlyList<string> Parse(string body, string? mediaType)
    {
        var trimmed = body.AsSpan().TrimStart();
        return mediaType == "application/json" || trimmed.StartsWith("[")
            ? ParseJson(body)
            : [.. Link().Matches(body).Select(m => WebUtility.HtmlDecode(m.Groups["href"].Value))];
    }

    private static List<string> ParseJson(string body)
    {
        using var document = JsonDocument.Parse(body);
        var hrefs = new List<string>();
        foreach (var entry in document.RootElement.EnumerateArray())
        {
            if (entry.TryGetProperty("name", out var name) && name.GetString() is { Length: > 0 } text)
            {
                var isDirectory = entry.TryGetProperty("type", out var type) && type.GetString() == "directory";
                hrefs.Add(Uri.EscapeDataString(text) + (isDirectory ? "/" : ""));
            }
        }

        return hrefs;
    }

    [GeneratedRegex("""<a\s[^>]*?href\s*=\s*(?:"(?<href>[^"]*)"|'(?<href>[^']*)')""", RegexOptions.IgnoreCase)]
    private static partial Regex Link();
}
