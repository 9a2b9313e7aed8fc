using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fluid.Aspire.ObjectStore.Client.ML;

/// <summary>
/// An ML.NET <see cref="IDataView"/> over Arrow record batches, for example a stored batch mapped from shared
/// memory: rows are read from the Arrow arrays in place. Numeric columns keep their type (nulls of floating-point
/// columns read as NaN, of integer and boolean columns as 0 and false, since ML.NET has no missing value for
/// them); strings read as text; fixed-size lists of float or double read as vectors. Numeric columns can also be read
/// together as one vector of <see cref="float"/> (<see cref="RecordBatchDataViewOptions.SingleVectors"/>), converted
/// as each row is read.
/// </summary>
public sealed class RecordBatchDataView : IDataView
{
    private readonly IReadOnlyList<RecordBatch> _batches;
    private readonly long[] _starts;

    /// <summary>For each vector column after the batch's own, the indices of the Arrow columns it gathers.</summary>
    private readonly int[][] _vectors;

    public RecordBatchDataView(RecordBatch batch, RecordBatchDataViewOptions? options = null)
        : this([batch], options)
    {
    }

    /// <param name="batches">Batches of one schema; rows are numbered across them in order.</param>
    /// <param name="options">Vector columns to add; none by default.</param>
    public RecordBatchDataView(IReadOnlyList<RecordBatch> batches, RecordBatchDataViewOptions? options = null)
    {
        if (batches.Count == 0)
        {
            throw new ArgumentException("A data view needs at least one record batch, which carries its schema.", nameof(batches));
        }

        _batches = batches;
        _starts = new long[batches.Count + 1];
        for (var i = 0; i < batches.Count; i++)
        {
            _starts[i + 1] = _starts[i] + batches[i].Length;
        }

        var schema = batches[0].Schema;
        var builder = new DataViewSchema.Builder();
        foreach (var field in schema.FieldsList)
        {
            builder.AddColumn(field.Name, ColumnType(field));
        }

        var vectors = options?.SingleVectors ?? new Dictionary<string, IReadOnlyList<string>>();
        _vectors = new int[vectors.Count][];
        var v = 0;
        foreach (var (name, sources) in vectors)
        {
            if (schema.GetFieldIndex(name) >= 0)
            {
                throw new ArgumentException($"The vector column '{name}' has the name of a column of the batch; give it another name.", nameof(options));
            }

            _vectors[v++] = [.. sources.Select(source => schema.GetFieldIndex(source) is var index and >= 0 && IsNumeric(schema.GetFieldByIndex(index))
                ? index
                : throw new ArgumentException(NotNumeric(schema, name, source), nameof(options)))];
            builder.AddColumn(name, new VectorDataViewType(NumberDataViewType.Single, sources.Count), SlotNames(sources));
        }

        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _starts[^1];

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded, 0, _starts[^1], batch: 0);

    /// <summary>Splits the rows into contiguous ranges, one per cursor, so that ML.NET can read them in parallel.</summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var needed = columnsNeeded.ToArray();
        var rows = _starts[^1];
        var count = (int)Math.Clamp(n, 1, Math.Max(1, rows));
        return Enumerable.Range(0, count)
            .Select(i => (DataViewRowCursor)new Cursor(this, needed, rows * i / count, rows * (i + 1) / count, batch: i))
            .ToArray();
    }

    /// <summary>The names of a vector's slots, which ML.NET keeps with a model's input schema: its sources' names.</summary>
    private static DataViewSchema.Annotations SlotNames(IReadOnlyList<string> names)
    {
        string[] sources = [.. names];
        var annotations = new DataViewSchema.Annotations.Builder();
        annotations.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, sources.Length), (ref VBuffer<ReadOnlyMemory<char>> value) =>
        {
            var editor = VBufferEditor.Create(ref value, sources.Length);
            for (var i = 0; i < sources.Length; i++)
            {
                editor.Values[i] = sources[i].AsMemory();
            }

            value = editor.Commit();
        });
        return annotations.ToAnnotations();
    }

    private static bool IsNumeric(Field field) => field.DataType is FloatingPointType or IntegerType;

    private static string NotNumeric(Schema schema, string vector, string source) => schema.GetFieldIndex(source) is var index and >= 0
        ? $"The vector column '{vector}' names '{source}', which is Arrow {schema.GetFieldByIndex(index).DataType.Name}; a vector of floats gathers numeric columns only."
        : $"The vector column '{vector}' names '{source}', which the batch does not have.";

    private static DataViewType ColumnType(Field field) => field.DataType switch
    {
        DoubleType => NumberDataViewType.Double,
        FloatType => NumberDataViewType.Single,
        Int8Type => NumberDataViewType.SByte,
        Int16Type => NumberDataViewType.Int16,
        Int32Type => NumberDataViewType.Int32,
        Int64Type => NumberDataViewType.Int64,
        UInt8Type => NumberDataViewType.Byte,
        UInt16Type => NumberDataViewType.UInt16,
        UInt32Type => NumberDataViewType.UInt32,
        UInt64Type => NumberDataViewType.UInt64,
        BooleanType => BooleanDataViewType.Instance,
        StringType or LargeStringType => TextDataViewType.Instance,
        FixedSizeListType { ValueDataType: FloatType } list => new VectorDataViewType(NumberDataViewType.Single, list.ListSize),
        FixedSizeListType { ValueDataType: DoubleType } list => new VectorDataViewType(NumberDataViewType.Double, list.ListSize),
        var other => throw new NotSupportedException(
            $"Column '{field.Name}' is Arrow {other.Name}, which has no ML.NET column type here; convert it to a number, boolean, string or fixed-size list of float or double."),
    };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly RecordBatchDataView _view;
        private readonly bool[] _active;
        private readonly Delegate?[] _getters;
        private readonly long _end;
        private readonly long _batch;
        private long _row;
        private long _position = -1;
        private int _chunk;
        private int _index;

        public Cursor(RecordBatchDataView view, IEnumerable<DataViewSchema.Column> needed, long start, long end, long batch)
        {
            _view = view;
            _end = end;
            _batch = batch;
            _row = start - 1;
            _active = new bool[view.Schema.Count];
            foreach (var column in needed)
            {
                _active[column.Index] = true;
            }

            _getters = new Delegate?[view.Schema.Count];
            for (var i = 0; i < _getters.Length; i++)
            {
                _getters[i] = _active[i] ? MakeGetter(i) : null;
            }
        }

        public override long Position => _position;

        public override long Batch => _batch;

        public override DataViewSchema Schema => _view.Schema;

        public override bool MoveNext()
        {
            if (_row + 1 >= _end)
            {
                _position = -1;
                return false;
            }

            _row++;
            _position++;
            while (_row >= _view._starts[_chunk + 1])
            {
                _chunk++;
            }

            _index = (int)(_row - _view._starts[_chunk]);
            return true;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index])
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not asked for when this cursor was made.");
            }

            return _getters[column.Index] as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type.RawType.Name}, not {typeof(TValue).Name}.");
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = new DataViewRowId((ulong)_row, 0);

        private IArrowArray Array(int column) => _view._batches[_chunk].Column(column);

        private Delegate MakeGetter(int column) => column >= _view._batches[0].ColumnCount
            ? SingleVector(_view._vectors[column - _view._batches[0].ColumnCount])
            : _view._batches[0].Column(column) switch
        {
            DoubleArray => Number<double>(column, double.NaN),
            FloatArray => Number<float>(column, float.NaN),
            Int8Array => Number<sbyte>(column, 0),
            Int16Array => Number<short>(column, 0),
            Int32Array => Number<int>(column, 0),
            Int64Array => Number<long>(column, 0),
            UInt8Array => Number<byte>(column, 0),
            UInt16Array => Number<ushort>(column, 0),
            UInt32Array => Number<uint>(column, 0),
            UInt64Array => Number<ulong>(column, 0),
            BooleanArray => (ValueGetter<bool>)((ref bool value) => value = ((BooleanArray)Array(column)).GetValue(_index) ?? false),
            StringArray => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) =>
                value = (((StringArray)Array(column)).GetString(_index) ?? "").AsMemory()),
            LargeStringArray => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) =>
                value = (((LargeStringArray)Array(column)).GetString(_index) ?? "").AsMemory()),
            FixedSizeListArray { Values: FloatArray } => Vector<float>(column),
            FixedSizeListArray { Values: DoubleArray } => Vector<double>(column),
            var other => throw new NotSupportedException($"Arrow {other.Data.DataType.Name} columns cannot be read."),
        };

        private ValueGetter<T> Number<T>(int column, T missing)
            where T : struct, IEquatable<T> => (ref T value) =>
        {
            var array = (PrimitiveArray<T>)Array(column);
            value = array.IsNull(_index) ? missing : array.Values[_index];
        };

        private ValueGetter<VBuffer<T>> Vector<T>(int column)
            where T : struct, IEquatable<T> => (ref VBuffer<T> value) =>
        {
            var list = (FixedSizeListArray)Array(column);
            var size = ((FixedSizeListType)list.Data.DataType).ListSize;
            var values = ((PrimitiveArray<T>)list.Values).Values.Slice((list.Offset + _index) * size, size);
            var editor = VBufferEditor.Create(ref value, size);
            values.CopyTo(editor.Values);
            value = editor.Commit();
        };

        /// <summary>The row's values of <paramref name="sources"/>, converted to float as they are read (nulls read as NaN).</summary>
        private ValueGetter<VBuffer<float>> SingleVector(int[] sources) => (ref VBuffer<float> value) =>
        {
            var batch = _view._batches[_chunk];
            var editor = VBufferEditor.Create(ref value, sources.Length);
            for (var i = 0; i < sources.Length; i++)
            {
                editor.Values[i] = batch.Column(sources[i]) switch
                {
                    DoubleArray array => array.IsNull(_index) ? float.NaN : (float)array.Values[_index],
                    FloatArray array => array.IsNull(_index) ? float.NaN : array.Values[_index],
                    var array => AsFloat(array, _index),
                };
            }

            value = editor.Commit();
        };

        private static float AsFloat(IArrowArray array, int index) => array.IsNull(index) ? float.NaN : array switch
        {
            Int8Array a => a.Values[index],
            Int16Array a => a.Values[index],
            Int32Array a => a.Values[index],
            Int64Array a => a.Values[index],
            UInt8Array a => a.Values[index],
            UInt16Array a => a.Values[index],
            UInt32Array a => a.Values[index],
            UInt64Array a => a.Values[index],
            _ => throw new NotSupportedException($"Arrow {array.Data.DataType.Name} values cannot be read as floats."),
        };
    }
}

/// <summary>How a <see cref="RecordBatchDataView"/> presents its columns, beyond one column per Arrow column.</summary>
public sealed class RecordBatchDataViewOptions
{
    /// <summary>
    /// Vector columns of <see cref="float"/> to add after the batch's own, by name, each gathering numeric columns of
    /// the batch in the order given (nulls, of any type, read as NaN). Values are converted as a cursor reads each row, so
    /// the columns stay where they are (in shared memory, say) in their own type: what ML.NET's trainers want (a vector of
    /// floats) from data stored as doubles, without the per-column conversion and concatenation transforms.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> SingleVectors { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}
