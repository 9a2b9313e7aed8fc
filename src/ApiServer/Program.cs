Fluid.Aspire.ApiServer.ApiServerHost.Build(args).Run();
