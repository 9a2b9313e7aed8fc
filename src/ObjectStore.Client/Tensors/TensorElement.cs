using System.Runtime.CompilerServices;

namespace Fluid.Aspire.ObjectStore.Client.Tensors;

/// <summary>
/// The element type of a tensor as recorded in its metadata: NumPy's names for the numeric types, so that other
/// languages read them, and <c>struct:&lt;type&gt;:&lt;size&gt;</c> for any other unmanaged type.
/// </summary>
public static class TensorElement
{
    public static string NameOf<T>()
        where T : unmanaged => Type.GetTypeCode(typeof(T)) switch
        {
            TypeCode.Single => "float32",
            TypeCode.Double => "float64",
            TypeCode.SByte => "int8",
            TypeCode.Int16 => "int16",
            TypeCode.Int32 => "int32",
            TypeCode.Int64 => "int64",
            TypeCode.Byte => "uint8",
            TypeCode.UInt16 => "uint16",
            TypeCode.UInt32 => "uint32",
            TypeCode.UInt64 => "uint64",
            TypeCode.Boolean => "bool",
            _ when typeof(T) == typeof(Half) => "float16",
            _ => $"struct:{typeof(T).FullName}:{Unsafe.SizeOf<T>()}",
        };
}
