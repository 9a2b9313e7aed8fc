namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>A frame that does not follow the wire format; the connection that sent it is closed.</summary>
public sealed class WireFormatException : Exception
{
    public WireFormatException()
        : base("The frame does not follow the object store's wire format.")
    {
    }

    public WireFormatException(string message)
        : base(message)
    {
    }

    public WireFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
