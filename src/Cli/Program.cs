using Fluid.Aspire.Cli;

return await FluidCommandLine.RunAsync(args);
