using System.Collections.Concurrent;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>
/// One string instance per short name that frames repeat: type names, member names, and the keys of fields and labels.
/// A store holding a million objects would otherwise hold a million copies of <c>fluid::Blob</c>, each a survivor for
/// the garbage collector to copy and mark. Bounded, so that a client sending a new name in every frame cannot grow
/// it; once full, names not yet in it are simply not shared.
/// </summary>
internal static class WireSymbols
{
    /// <summary>Longer strings are values rather than names, and are not worth a lookup.</summary>
    public const int MaxSymbolBytes = 128;

    private const int MaxSymbols = 4096;

    private static readonly ConcurrentDictionary<string, string> Symbols = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> ByChars =
        Symbols.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Kept beside the table: its own Count takes every one of its locks.</summary>
    private static int _count;

    /// <summary>The shared instance of <paramref name="chars"/>, made and kept on first sight while there is room.</summary>
    public static string Get(ReadOnlySpan<char> chars)
    {
        if (ByChars.TryGetValue(chars, out var symbol))
        {
            return symbol;
        }

        var text = new string(chars);
        if (Volatile.Read(ref _count) >= MaxSymbols)
        {
            return text;
        }

        if (Symbols.TryAdd(text, text))
        {
            Interlocked.Increment(ref _count);
            return text;
        }

        return Symbols.GetValueOrDefault(text, text);
    }
}
