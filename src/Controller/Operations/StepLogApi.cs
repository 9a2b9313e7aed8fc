using Fluid.Aspire.Execution;

namespace Fluid.Aspire.Controller.Operations;

/// <summary>The logs of steps run on this machine, for <c>fluid logs</c>.</summary>
public static class StepLogApi
{
    public static IEndpointRouteBuilder MapStepLogApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/namespaces/{namespace}/dataprocesses/{name}/log", async (string @namespace, string name, int? tail, LocalProcessExecutor executor) =>
        {
            var path = executor.GetLogPath(@namespace, name);
            if (!File.Exists(path))
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No log for DataProcess {@namespace}/{name}.",
                    detail: "A step has a log once it has started; `fluid get dataprocesses` shows which have.");
            }

            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var lines = new List<string>();
            while (await reader.ReadLineAsync() is { } line)
            {
                lines.Add(line);
            }

            var shown = tail is > 0 ? lines.Skip(Math.Max(0, lines.Count - tail.Value)) : lines;
            return Results.Text(string.Join('\n', shown) + "\n", "text/plain");
        }).WithTags("Logs");
        return routes;
    }
}
