using Fluid.Aspire.Controller.Pods;

namespace Fluid.Aspire.Controller.Tests;

public sealed class ControllerOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.Empty(new ControllerOptions().Validate());
    }

    [Theory]
    [InlineData(nameof(ControllerOptions.LeaderLeaseSeconds), 1, "Fluid:Controller:LeaderLeaseSeconds is 1; use 2 to 300")]
    [InlineData(nameof(ControllerOptions.Workers), 0, "Fluid:Controller:Workers is 0; use 1 to 256")]
    [InlineData(nameof(ControllerOptions.MissingReferenceGraceSeconds), -1, "Fluid:Controller:MissingReferenceGraceSeconds is -1; use 0 to 86400")]
    [InlineData(nameof(ControllerOptions.UnschedulableRetrySeconds), 0, "Fluid:Controller:UnschedulableRetrySeconds is 0; use 1 to 86400")]
    public void A_setting_out_of_range_is_named_with_its_range(string setting, int value, string message)
    {
        var options = new ControllerOptions();
        typeof(ControllerOptions).GetProperty(setting)!.SetValue(options, value);

        var problem = Assert.Single(options.Validate());

        Assert.StartsWith(message, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_pod_settings_are_checked_too()
    {
        Assert.Empty(new StepPodOptions().Validate());
        Assert.StartsWith("Fluid:StepPods:NodeLostSeconds is 0; use 1 to 86400", Assert.Single(new StepPodOptions { NodeLostSeconds = 0 }.Validate()), StringComparison.Ordinal);
        Assert.StartsWith("Fluid:StepPods:SocketHostDirectory is 'run/fluid'; use an absolute path",
            Assert.Single(new StepPodOptions { SocketHostDirectory = "run/fluid" }.Validate()), StringComparison.Ordinal);
    }
}
