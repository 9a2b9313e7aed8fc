using System.CommandLine;
using System.Text.RegularExpressions;
using Fluid.Aspire.Cli.Kinds;
using Fluid.Aspire.Contracts.Store;

namespace Fluid.Aspire.Cli.Commands;

/// <summary>
/// What every command shares: the global options, the connection, and turning every refusal into one <c>error:</c>
/// line on stderr with the right exit code, instead of a stack trace.
/// </summary>
internal static partial class Invocation
{
    public static readonly Option<string> Kubeconfig = new("--kubeconfig")
    {
        Description = "The kubeconfig of the Kubernetes API (./run.sh --dashboard writes artifacts/kubeconfig). " +
            "Default: the one --connection names, else $KUBECONFIG, else ~/.kube/config.",
        Recursive = true,
    };

    public static readonly Option<string> Context = new("--context")
    {
        Description = "The kubeconfig context to use; its current context by default.",
        Recursive = true,
    };

    public static readonly Option<string> Connection = new("--connection")
    {
        Description = "The local stack's Endpoints=…;Prefix=…;Kubeconfig=…;Controller=… string, which the AppHost gives its programs; " +
            "fluid uses its kubeconfig. Default: $ConnectionStrings__fluid, else $FLUID_ETCD, else connectionString in ~/.fluid/config.json.",
        Recursive = true,
    };

    public static readonly Option<string> Namespace = new("--namespace", "-n")
    {
        Description = "The namespace to work in.",
        DefaultValueFactory = _ => "default",
        Recursive = true,
    };

    /// <summary>Opens a session, runs <paramref name="run"/>, and maps what went wrong to a message and an exit code.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<Session, Task<int>> run)
    {
        Session session;
        try
        {
            var @namespace = parse.GetValue(Namespace)!;
            if (!DnsLabel().IsMatch(@namespace))
            {
                throw CliException.Usage($"'{@namespace}' is not a namespace name: use lower-case letters, digits and '-', at most 63, e.g. -n team-a.");
            }

            session = Session.Open(parse.GetValue(Connection), parse.GetValue(Kubeconfig), parse.GetValue(Context), @namespace);
        }
        catch (CliException ex)
        {
            return await FailAsync(ex.Message, ex.ExitCode);
        }

        await using (session)
        {
            try
            {
                return await run(session);
            }
            catch (CliException ex)
            {
                return await FailAsync(ex.Message, ex.ExitCode);
            }
            catch (ResourceStoreUnavailableException ex)
            {
                return await FailAsync(session.Unreachable(ex), ExitCodes.Error);
            }
            catch (ResourceStoreException ex)
            {
                return await FailAsync(ex.Message, ExitCodes.Error);
            }
        }
    }

    /// <summary>Prints <c>error: message</c> on stderr and returns the exit code.</summary>
    public static async Task<int> FailAsync(string message, int exitCode)
    {
        await Console.Error.WriteLineAsync($"error: {message}");
        return exitCode;
    }

    /// <summary>The message for an object that is not there: where it was looked for, and how to see what is.</summary>
    public static string NotFound(Kind kind, string name, string @namespace) =>
        kind.Namespaced
            ? $"{kind.Singular} \"{name}\" not found in namespace \"{@namespace}\"; list them with: fluid get {kind.Plural} -n {@namespace} (or -A for every namespace)"
            : $"{kind.Singular} \"{name}\" not found; list them with: fluid get {kind.Plural}";

    /// <summary>
    /// The kind argument of get, describe and delete; an unknown or missing kind is a usage error, found before
    /// connecting, that lists the kinds there are.
    /// </summary>
    public static Argument<string> KindArgument(string command, string verb)
    {
        var kind = new Argument<string>("kind")
        {
            Description = $"What to {verb}: {Kinds.Kinds.Known}.",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = result =>
            {
                result.AddError($"Say what to {verb}: one of {Kinds.Kinds.Known}; e.g. fluid {command} datasets.");
                return "";
            },
        };
        kind.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0)
            {
                return;
            }

            var name = result.GetValueOrDefault<string>();
            if (Kinds.Kinds.TryFind(name) is null)
            {
                result.AddError(Kinds.Kinds.Unknown(name));
            }
        });
        return kind;
    }

    /// <summary>
    /// The names argument of get, describe and delete. System.CommandLine hands an unknown option such as
    /// <c>--bogus</c> to an argument that takes any number of values, so it is refused here as the usage error it is.
    /// </summary>
    public static Argument<string[]> NamesArgument(string description, ArgumentArity arity)
    {
        var names = new Argument<string[]>("name") { Description = description, Arity = arity };
        names.Validators.Add(result =>
        {
            foreach (var name in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (name.StartsWith('-'))
                {
                    result.AddError($"Unrecognized option '{name}'.");
                }
            }
        });
        return names;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();
}
