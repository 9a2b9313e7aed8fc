using Fluid.Aspire.Contracts;
using k8s.Models;
using System.Globalization;

namespace Fluid.Aspire.Controller.Scheduling;

/// <summary>
/// A selector term turned into table lookups over the candidates' label columns: each expression is decided once per
/// distinct label value (and once for "absent"), so testing a node is one array read per expression.
/// </summary>
internal sealed class CompiledTerm
{
    private readonly int[][] _columns;
    private readonly bool[][] _tables;

    public CompiledTerm(CandidateNodes nodes, V1NodeSelectorTerm term)
    {
        var expressions = term.MatchExpressions ?? [];
        _columns = new int[expressions.Count][];
        _tables = new bool[expressions.Count][];
        for (var i = 0; i < expressions.Count; i++)
        {
            var column = nodes.Column(expressions[i].Key);
            _columns[i] = column?.ValueIds ?? nodes.Absent;
            _tables[i] = Table(column, expressions[i]);
        }
    }

    /// <summary>True when the node satisfies every expression; a term without expressions matches no node.</summary>
    public bool Matches(int node)
    {
        var columns = _columns;
        if (columns.Length == 0)
        {
            return false;
        }

        var tables = _tables;
        for (var i = 0; i < columns.Length; i++)
        {
            if (!tables[i][columns[i][node] + 1])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The first expression the node fails, or -1 when it matches them all.</summary>
    public int FirstFailure(int node)
    {
        for (var i = 0; i < _columns.Length; i++)
        {
            if (!_tables[i][_columns[i][node] + 1])
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The expression's answer for "no such label" (slot 0) and for each distinct value id (slot id + 1).</summary>
    private static bool[] Table(LabelColumn? column, V1NodeSelectorRequirement expression)
    {
        var table = new bool[(column?.DistinctValues ?? 0) + 1];
        switch (expression.OperatorProperty)
        {
            case NodeSelectorOperators.In:
                SetValues(table, column, expression.Values ?? [], true);
                break;
            case NodeSelectorOperators.NotIn:
                Array.Fill(table, true);
                SetValues(table, column, expression.Values ?? [], false);
                break;
            case NodeSelectorOperators.Exists:
                Array.Fill(table, true);
                table[0] = false;
                break;
            case NodeSelectorOperators.DoesNotExist:
                table[0] = true;
                break;
            case NodeSelectorOperators.Gt or NodeSelectorOperators.Lt when column is not null:
                var bound = long.Parse(expression.Values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                var integers = column.Integers;
                var greater = expression.OperatorProperty == NodeSelectorOperators.Gt;
                for (var id = 0; id < integers.Length; id++)
                {
                    table[id + 1] = integers[id] is { } value && (greater ? value > bound : value < bound);
                }

                break;
        }

        return table;
    }

    private static void SetValues(bool[] table, LabelColumn? column, IList<string> values, bool answer)
    {
        if (column is null)
        {
            return;
        }

        foreach (var value in values)
        {
            if (column.IdOf(value) is var id and >= 0)
            {
                table[id + 1] = answer;
            }
        }
    }
}
