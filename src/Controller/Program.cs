using Fluid.Aspire.Controller;

ControllerHost.Build(args).Run();
