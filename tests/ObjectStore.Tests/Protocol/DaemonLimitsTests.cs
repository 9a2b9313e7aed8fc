using Fluid.Aspire.ObjectStore.Daemon;
using Fluid.Aspire.ObjectStore.Native;

namespace Fluid.Aspire.ObjectStore.Tests.Protocol;

/// <summary>Settings the wire format cannot carry are refused when the daemon starts, not when the first client connects.</summary>
public sealed class DaemonLimitsTests
{
    [Fact]
    public void More_arenas_than_a_Welcome_can_pass_are_refused_with_the_arena_size_to_use()
    {
        var options = new ObjectStoreOptions { Size = "65Mi", ArenaSize = "1Mi" };

        var problem = Assert.Single(options.Validate());

        Assert.Equal(
            $"Fluid:ObjectStore: a Size of 65Mi in arenas of 1Mi makes 65 arenas, and a client can be passed at most {DescriptorPassing.MaxDescriptors}; " +
            "use an ArenaSize of at least 1.02 MiB.",
            problem);
        Assert.Empty(new ObjectStoreOptions { Size = "64Mi", ArenaSize = "1Mi" }.Validate());
        Assert.Empty(new ObjectStoreOptions { Size = "65Mi", ArenaSize = "1040Ki" }.Validate());
    }

    [Theory]
    [InlineData(65_535)]
    [InlineData((1024 * 1024 * 1024) + 1)]
    [InlineData(int.MaxValue)]
    public void A_frame_limit_outside_64_KiB_to_1_GiB_is_refused(int maxFrameLength)
    {
        var problem = Assert.Single(new ObjectStoreOptions { MaxFrameLength = maxFrameLength }.Validate());

        Assert.Equal($"Fluid:ObjectStore:MaxFrameLength is {maxFrameLength}; use 65536 to 1073741824 (1 GiB).", problem);
    }

    [Fact]
    public void A_size_too_large_for_any_number_is_a_problem_reported_not_an_exception()
    {
        var problem = Assert.Single(new ObjectStoreOptions { Size = "99999999999999999999999999999Gi" }.Validate());

        Assert.Equal("Fluid:ObjectStore:Size: '99999999999999999999999999999Gi' is too large.", problem);
    }
}
