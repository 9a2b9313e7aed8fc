using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fluid.Aspire.ObjectStore.Client.ML;

/// <summary>
/// An ML.NET <see cref="IDataView"/> over Arrow record batches, for example a stored batch mapped from shared
/// memory: rows are read from the Arrow arrays in place. Numeric columns keep their type (nulls of floating-point
/// columns read as NaN, of integer and boolean columns as 0 and false, since ML.NET has no missing value for
/// them); strings read as text; fixed-size lists of float or double read as vectors.
/// </summary>
public sealed class RecordBatchDataView : IDataView
{
    private readonly IReadOnlyList<RecordBatch> _batches;
    private readonly long[] _starts;

    public RecordBatchDataView(RecordBatch batch)
        : this([batch])
    {
    }

    /// <param name="batches">Batches of one schema; rows are numbered across them in order.</param>
    public RecordBatchDataView(IReadOnlyList<RecordBatch> batches)
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

        var builder = new DataViewSchema.Builder();
        foreach (var field in batches[0].Schema.FieldsList)
        {
            builder.AddColumn(field.Name, ColumnType(field));
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

        private Delegate MakeGetter(int column) => _view._batches[0].Column(column) switch
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
    }
}
