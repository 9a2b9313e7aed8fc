namespace Fluid.Aspire.Cli;

/// <summary>
/// A request the command could not carry out, with a message that says what was wrong and what to do; printed as
/// one <c>error:</c> line, and the process exits with <see cref="ExitCode"/>.
/// </summary>
internal class CliException : Exception
{
    public CliException(string message, int exitCode = ExitCodes.Error)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public CliException()
        : this("The command failed.")
    {
    }

    public CliException(string message)
        : this(message, ExitCodes.Error)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.Error;
    }

    public int ExitCode { get; }

    /// <summary>The command line itself was wrong (an unknown kind, a missing name): exit code 2, as for a parse error.</summary>
    public static CliException Usage(string message) => new(message, ExitCodes.Usage);
}

/// <summary>The process exit codes, as kubectl's: scripts tell a mistyped command from a failed one.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
}
