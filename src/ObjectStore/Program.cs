using Fluid.Aspire.ObjectStore.Cli;

return await ObjectStoreCommandLine.Create().Parse(args).InvokeAsync();
