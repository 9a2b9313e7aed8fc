using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fluid.Aspire.Contracts.Serialization;

/// <summary>
/// Enums as the exact strings Kubernetes uses (<c>Bound</c>, <c>NotIn</c>, <c>MEM</c>). Unlike
/// <see cref="JsonStringEnumConverter"/> it refuses numbers and differently cased names, as the API server does, and
/// its error names the bad value and lists the good ones.
/// </summary>
internal sealed class StrictEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(StrictEnumConverter<>).MakeGenericType(typeToConvert))!;
}

/// <summary>The names of an enum's members as they appear in JSON, in declaration order.</summary>
public static class EnumNames
{
    /// <summary>The JSON name of <paramref name="value"/>: its <see cref="JsonStringEnumMemberNameAttribute"/> or its member name.</summary>
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum => StrictEnumConverter<TEnum>.NameOf(value);

    /// <summary>The JSON names of every member of <paramref name="enumType"/>, e.g. <c>MEM, SSD, HDD</c>.</summary>
    public static IReadOnlyList<string> All(Type enumType)
    {
        ArgumentNullException.ThrowIfNull(enumType);
        return [.. enumType.GetFields(BindingFlags.Public | BindingFlags.Static).Select(JsonName)];
    }

    /// <summary>The JSON name of a boxed enum value, or its number when it is not a member.</summary>
    public static string Of(Enum value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var field = value.GetType().GetField(value.ToString(), BindingFlags.Public | BindingFlags.Static);
        return field is null ? value.ToString() : JsonName(field);
    }

    internal static string JsonName(FieldInfo field) =>
        field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? field.Name;
}

internal sealed class StrictEnumConverter<TEnum> : JsonConverter<TEnum>
    where TEnum : struct, Enum
{
    private static readonly FrozenDictionary<string, TEnum> ByName =
        typeof(TEnum).GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToFrozenDictionary(EnumNames.JsonName, field => (TEnum)field.GetValue(null)!, StringComparer.Ordinal);

    private static readonly FrozenDictionary<TEnum, string> ToName =
        ByName.ToFrozenDictionary(pair => pair.Value, pair => pair.Key);

    public static string NameOf(TEnum value) =>
        ToName.TryGetValue(value, out var name)
            ? name
            : throw new ArgumentOutOfRangeException(nameof(value), value,
                $"{value} is not a member of {typeof(TEnum).Name}; use one of {string.Join(", ", ByName.Keys)}.");

    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException(
                $"A {typeof(TEnum).Name} is written as a string; use one of {Allowed()} (got a JSON {reader.TokenType}).");
        }

        var text = reader.GetString()!;
        return ByName.TryGetValue(text, out var value)
            ? value
            : throw new JsonException($"'{text}' is not a {typeof(TEnum).Name}; use one of {Allowed()} (names are case-sensitive).");
    }

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(NameOf(value));
    }

    private static string Allowed() => string.Join(", ", ByName.Keys);
}
