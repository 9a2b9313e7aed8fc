namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>Reads a response body into a buffer, refusing a body that ends short.</summary>
internal static class BodyReader
{
    public static async ValueTask FillAsync(Stream body, Memory<byte> destination, string url, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < destination.Length)
        {
            var read = await body.ReadAsync(destination[filled..], cancellationToken);
            if (read == 0)
            {
                throw new TruncatedBodyException(url, destination.Length, filled);
            }

            filled += read;
        }
    }
}
