using System.Globalization;
using Fluid.Aspire.Cluster.Membership;

namespace Fluid.Aspire.Controller.Scheduling;

/// <summary>
/// The candidate nodes, indexed once so that scheduling a step never looks a label up by string: nodes are sorted by
/// name (so the index order is the name order, the last tie-break), and every label key becomes a column of
/// interned value ids. Build it when the node view changes and reuse it for every step until then; it is immutable
/// and safe to share between threads.
/// </summary>
public sealed class CandidateNodes
{
    private readonly Dictionary<string, int> _indexByName;
    private readonly Dictionary<string, LabelColumn> _columns;

    private CandidateNodes(CandidateNode[] nodes)
    {
        Nodes = nodes;
        Names = new string[nodes.Length];
        Ready = new bool[nodes.Length];
        RunningSteps = new int[nodes.Length];
        Free = new IReadOnlyDictionary<string, decimal>?[nodes.Length];
        _indexByName = new Dictionary<string, int>(nodes.Length, StringComparer.Ordinal);
        _columns = new Dictionary<string, LabelColumn>(StringComparer.Ordinal);
        Absent = new int[nodes.Length];
        Array.Fill(Absent, -1);

        for (var i = 0; i < nodes.Length; i++)
        {
            var node = nodes[i];
            Names[i] = node.Name;
            Ready[i] = node.Ready;
            RunningSteps[i] = node.RunningSteps;
            Free[i] = node.Free;
            _indexByName.Add(node.Name, i);
            foreach (var (key, value) in node.Labels)
            {
                if (!_columns.TryGetValue(key, out var column))
                {
                    column = new LabelColumn(nodes.Length);
                    _columns.Add(key, column);
                }

                column.Set(i, value);
            }
        }

        Zone = Column(NodeLabels.Zone)?.ValueIds ?? Absent;
        Region = Column(NodeLabels.Region)?.ValueIds ?? Absent;
        Rack = Column(NodeLabels.Rack)?.ValueIds ?? Absent;
    }

    /// <summary>The nodes, sorted by name (ordinal).</summary>
    public IReadOnlyList<CandidateNode> Nodes { get; }

    public int Count => Names.Length;

    internal string[] Names { get; }

    internal bool[] Ready { get; }

    internal int[] RunningSteps { get; }

    internal IReadOnlyDictionary<string, decimal>?[] Free { get; }

    /// <summary>Per node, the interned value of its zone, region and rack label; -1 when it has none.</summary>
    internal int[] Zone { get; }

    internal int[] Region { get; }

    internal int[] Rack { get; }

    /// <summary>The column of a label no node has: -1 everywhere.</summary>
    internal int[] Absent { get; }

    /// <summary>Indexes the nodes.</summary>
    /// <exception cref="ArgumentException">A node is null, has no name, or is listed twice; the message names it.</exception>
    public static CandidateNodes Create(IEnumerable<CandidateNode> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var array = nodes.ToArray();
        for (var i = 0; i < array.Length; i++)
        {
            if (array[i] is not { Name.Length: > 0, Labels: not null })
            {
                throw new ArgumentException(
                    $"Candidate node {i + 1} is null or has no name or no labels: give every node a name and a label map (empty if it has none).",
                    nameof(nodes));
            }
        }

        Array.Sort(array, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        for (var i = 1; i < array.Length; i++)
        {
            if (array[i].Name == array[i - 1].Name)
            {
                throw new ArgumentException(
                    $"Candidate node '{array[i].Name}' is listed twice: pass each node once (nodes are identified by name).",
                    nameof(nodes));
            }
        }

        return new CandidateNodes(array);
    }

    /// <summary>The index of the named node, or -1 when it is not a candidate.</summary>
    internal int IndexOf(string name) => _indexByName.TryGetValue(name, out var index) ? index : -1;

    internal LabelColumn? Column(string key) => _columns.TryGetValue(key, out var column) ? column : null;
}

/// <summary>One label key across all nodes: per node the id of its value (-1: no such label), and the distinct values.</summary>
internal sealed class LabelColumn
{
    private readonly Dictionary<string, int> _idByValue = new(StringComparer.Ordinal);
    private readonly List<string> _values = [];
    private long?[]? _integers;

    public LabelColumn(int nodes)
    {
        ValueIds = new int[nodes];
        Array.Fill(ValueIds, -1);
    }

    public int[] ValueIds { get; }

    public int DistinctValues => _values.Count;

    public void Set(int node, string value)
    {
        if (!_idByValue.TryGetValue(value, out var id))
        {
            id = _values.Count;
            _idByValue.Add(value, id);
            _values.Add(value);
        }

        ValueIds[node] = id;
    }

    public int IdOf(string value) => _idByValue.TryGetValue(value, out var id) ? id : -1;

    /// <summary>
    /// Each distinct value read as an integer, for Gt and Lt; null where it is not one. Parsed on first use only, as
    /// few keys are ever compared that way; two threads racing here compute the same array, so no lock is needed.
    /// </summary>
    public long?[] Integers => _integers ??= ParseIntegers();

    private long?[] ParseIntegers()
    {
        var integers = new long?[_values.Count];
        for (var i = 0; i < integers.Length; i++)
        {
            integers[i] = long.TryParse(_values[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;
        }

        return integers;
    }
}
