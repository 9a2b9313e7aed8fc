using System.Text;
using Google.Protobuf;

namespace Fluid.Aspire.Cluster.Etcd;

/// <summary>Conversions between key strings and etcd's byte keys, and the range end that selects a prefix.</summary>
public static class EtcdKeys
{
    public static ByteString ToBytes(string key) => ByteString.CopyFromUtf8(key);

    public static string FromBytes(ByteString key) => key.ToStringUtf8();

    /// <summary>The range end that, with <paramref name="prefix"/> as the key, selects every key under the prefix.</summary>
    public static ByteString PrefixRangeEnd(string prefix)
    {
        var bytes = Encoding.UTF8.GetBytes(prefix);
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return ByteString.CopyFrom(bytes, 0, i + 1);
            }
        }

        // Every byte is 0xff: the range is open-ended.
        return ByteString.CopyFrom(0);
    }
}
