namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>How one kind of under storage's errors are told apart and described.</summary>
internal interface IUnderStorageErrors
{
    /// <summary>Whether trying again may help: a server error, a dropped connection.</summary>
    bool IsTransient(Exception exception);

    /// <summary>The error in a sentence for a message, with no credentials in it.</summary>
    string Explain(Exception exception);
}
