using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Fluid.Aspire.ObjectStore.Rpc;

/// <summary>
/// The secret that every caller of a cluster's object stores presents: gRPC calls carry it as a bearer token, bulk
/// connections prove it without sending it. Kept in a file (a mounted Secret on a cluster, the state directory of a
/// local stack) and never printed.
/// </summary>
public sealed class ObjectStoreToken
{
    /// <summary>The setting that names the file holding the token.</summary>
    public const string FileSetting = "Fluid:ObjectStore:TokenFile";

    /// <summary>The setting that holds the token itself, for where a file cannot be had.</summary>
    public const string TextSetting = "Fluid:ObjectStore:Token";

    /// <summary>A shorter token could be guessed; 32 random bytes in base64 are 43 or 44 characters.</summary>
    public const int MinimumLength = 32;

    private const string Scheme = "Bearer ";
    private const string Advice = "make one with `head -c 32 /dev/urandom | base64 > FILE; chmod 600 FILE`";

    private readonly byte[] _secret;
    private readonly byte[] _authorizationHash;

    private ObjectStoreToken(string text)
    {
        _secret = Encoding.ASCII.GetBytes(text);
        AuthorizationValue = Scheme + text;
        _authorizationHash = SHA256.HashData(Encoding.ASCII.GetBytes(AuthorizationValue));
    }

    /// <summary>The value of the <c>authorization</c> header of a call: <c>Bearer</c> and the token.</summary>
    public string AuthorizationValue { get; }

    /// <summary>A new token: 32 random bytes, base64url.</summary>
    public static ObjectStoreToken Generate() => new(Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)));

    /// <summary>A token from its text; surrounding white space (a file's last newline) is not part of it.</summary>
    /// <param name="text">The token, as written in a file or a setting.</param>
    /// <param name="source">What held the text, for the error, e.g. <c>The token file '/etc/fluid/token'</c>.</param>
    /// <exception cref="FormatException">The text is too short or holds characters an HTTP header cannot carry.</exception>
    public static ObjectStoreToken Parse(string text, string source)
    {
        var token = text.Trim();
        if (token.Length < MinimumLength || token.Any(c => c is < '!' or > '~'))
        {
            throw new FormatException(
                $"{source} holds no usable token: a token is at least {MinimumLength} visible ASCII characters without spaces; {Advice}.");
        }

        return new ObjectStoreToken(token);
    }

    /// <exception cref="InvalidOperationException">The file cannot be read or holds no usable token.</exception>
    public static ObjectStoreToken ReadFile(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path), $"The token file '{path}'");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"The token file '{path}' ({FileSetting}) cannot be read: {ex.Message}", ex);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
    }

    /// <summary>The token given by <see cref="FileSetting"/> or <see cref="TextSetting"/>; null when neither is set.</summary>
    /// <exception cref="InvalidOperationException">Both are set, or the token is unusable.</exception>
    public static ObjectStoreToken? FromSettings(string? file, string? text)
    {
        var hasFile = !string.IsNullOrWhiteSpace(file);
        var hasText = !string.IsNullOrWhiteSpace(text);
        if (hasFile && hasText)
        {
            throw new InvalidOperationException($"Both {FileSetting} and {TextSetting} are set; set one of them (the file is preferred).");
        }

        try
        {
            return hasFile ? ReadFile(file!) : hasText ? Parse(text!, TextSetting) : null;
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
    }

    /// <summary>
    /// Whether an <c>authorization</c> header carries this token. Compared as hashes, in constant time, so that
    /// neither the token's bytes nor its length can be learnt from how long a refusal takes.
    /// </summary>
    public bool Matches(string? authorization) =>
        authorization is not null
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(authorization)), _authorizationHash);

    /// <summary>The HMAC-SHA256 of <paramref name="message"/> under the token: a proof of the token that does not reveal it.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message) => HMACSHA256.HashData(_secret, message);

    /// <summary>A call invoker over <paramref name="channel"/> whose every call carries the token.</summary>
    public CallInvoker Authorize(ChannelBase channel) => channel.Intercept(metadata =>
    {
        metadata.Add("authorization", AuthorizationValue);
        return metadata;
    });

    /// <summary>
    /// Writes the token to <paramref name="path"/>, readable and writable by its owner only (0600), replacing any
    /// file there at once, so that no reader ever sees half a token.
    /// </summary>
    public async Task WriteFileAsync(string path, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        await using (var file = new FileStream(temporary, options))
        {
            await file.WriteAsync(_secret, cancellationToken);
        }

        // A file left by a crash may have another mode; the mode of the new one is set on creation.
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }

    public override string ToString() => "ObjectStoreToken(hidden)";
}
