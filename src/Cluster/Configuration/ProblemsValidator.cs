using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Cluster.Configuration;

/// <summary>Checks options with their own list of problems, each naming the setting and how to fix it, so that a bad setting stops the start.</summary>
public sealed class ProblemsValidator<TOptions>(Func<TOptions, IEnumerable<string>> problems) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var found = problems(options).ToArray();
        return found.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
    }
}
