using System.Runtime.InteropServices;

namespace Fluid.Aspire.ObjectStore.Native;

/// <summary>
/// The Linux calls that .NET does not wrap: anonymous shared memory and its seals, mappings, and descriptor passing over Unix
/// sockets. Struct layouts are those of the 64-bit Linux ABIs (x86-64 and arm64 agree on them).
/// </summary>
internal static unsafe partial class LibC
{
    public const int ProtRead = 0x1;
    public const int ProtWrite = 0x2;
    public const int MapShared = 0x01;
    public const int MapPopulate = 0x8000;
    public const uint MfdCloexec = 0x1;
    public const uint MfdAllowSealing = 0x2;
    public const int FAddSeals = 1033;
    public const int FGetSeals = 1034;
    public const int FSealSeal = 0x1;
    public const int FSealShrink = 0x2;
    public const int FSealGrow = 0x4;
    public const int SolSocket = 1;
    public const int ScmRights = 1;
    public const int MsgNoSignal = 0x4000;
    public const int MsgDontWait = 0x40;
    public const int MsgCmsgCloexec = 0x40000000;
    public const int MsgCtrunc = 0x8;
    public const short PollIn = 0x1;
    public const short PollOut = 0x4;
    public const int MadvPopulateRead = 22;
    public const int MadvPopulateWrite = 23;
    public const int PageSize = 4096;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int ENOSPC = 28;
    public const int ENOSYS = 38;
    public const int EPERM = 1;
    public const int EACCES = 13;
    public const int EINVAL = 22;

    public static readonly nint MapFailed = -1;

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

    /// <summary>fcntl with an int argument (the variadic argument is passed as a fixed one, as the 64-bit Linux ABIs allow).</summary>
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int socket, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct ControlMessageHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollDescriptor
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    /// <summary>CMSG_SPACE: a control message with <paramref name="dataLength"/> bytes of data, padded to 8.</summary>
    public static int ControlSpace(int dataLength) => sizeof(ControlMessageHeader) + ((dataLength + 7) & ~7);

    /// <summary>CMSG_LEN: the header and the data, without the trailing padding.</summary>
    public static int ControlLength(int dataLength) => sizeof(ControlMessageHeader) + dataLength;

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
