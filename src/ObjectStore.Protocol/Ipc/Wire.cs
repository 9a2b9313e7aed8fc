using System.Text;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>
/// The IPC wire format between clients and their node's daemon, over a Unix domain socket. Every message is one
/// frame: an 8-byte little-endian body length, then the body, whose first byte is the <see cref="MessageType"/>.
/// The first exchange is Hello → Welcome, and the Welcome carries each arena's file descriptor (SCM_RIGHTS).
/// Requests on one connection are answered in order; <see cref="MessageType.Release"/> and
/// <see cref="MessageType.DropBlobs"/> have no answer.
/// </summary>
public static class Wire
{
    public const int HeaderLength = 8;

    /// <summary>"FLOS" little-endian: a client that is not ours, or a stray HTTP request, is told so at once.</summary>
    public const uint Magic = 0x534F_4C46;

    /// <summary>Bumped whenever a message changes shape; client and daemon must agree exactly.</summary>
    public const ushort ProtocolVersion = 3;

    /// <summary>Large enough for the metadata of any real object; payloads never cross the socket.</summary>
    public const int DefaultMaxFrameLength = 16 * 1024 * 1024;

    /// <summary>
    /// The limit of the first frame, which must be a Hello (a client name and a few numbers): a peer that has not
    /// shown it speaks the protocol cannot make the daemon buffer more.
    /// </summary>
    public const int MaxHelloLength = 64 * 1024;

    public static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

/// <summary>The first byte of a frame body. Requests are below 0x80, answers from 0x80.</summary>
public enum MessageType : byte
{
    Hello = 0x01,
    CreateBlobs = 0x02,
    CreateObject = 0x03,
    Get = 0x04,
    Release = 0x05,
    Delete = 0x06,
    PutName = 0x07,
    DropName = 0x08,
    Persist = 0x09,
    List = 0x0A,
    Stats = 0x0B,
    DropBlobs = 0x0C,
    Stat = 0x0D,

    Welcome = 0x81,
    Blobs = 0x82,
    Created = 0x83,
    ObjectData = 0x84,
    Ok = 0x85,
    ObjectList = 0x86,
    StatsReply = 0x87,
    ObjectInfo = 0x88,
    Error = 0xFF,
}
