using System.Globalization;
using System.Text;
using Fluid.Aspire.Execution;

namespace Fluid.Aspire.CacheAgent.Kubelet;

/// <summary>
/// The kubelet's <c>/containerLogs/{namespace}/{pod}/{container}</c>, which the API server's <c>pods/log</c> calls:
/// what the pod's process wrote to stdout and stderr, with kubectl's options (<c>tailLines</c>, <c>timestamps</c>,
/// <c>follow</c>, <c>limitBytes</c>, <c>sinceSeconds</c>, <c>sinceTime</c>).
/// </summary>
public static class ContainerLogs
{
    private static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(200);

    public static IEndpointRouteBuilder MapContainerLogs(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/containerLogs/{namespace}/{pod}/{container}", ServeAsync).WithTags("Kubelet");
        return routes;
    }

    private static async Task ServeAsync(HttpContext context, string @namespace, string pod, string container, PodRunner pods, TimeProvider clock)
    {
        var query = context.Request.Query;
        await pods.Synced.WaitAsync(context.RequestAborted);
        var found = pods.Find(@namespace, pod);
        if (found is null)
        {
            await ProblemAsync(context, 404, $"pod {@namespace}/{pod} is not on this node");
            return;
        }

        if (found.Spec.Containers?.FirstOrDefault()?.Name != container)
        {
            await ProblemAsync(context, 400, $"container {container} is not valid for pod {pod}");
            return;
        }

        if (IsTrue(query["previous"]))
        {
            await ProblemAsync(context, 400, $"previous terminated container \"{container}\" in pod \"{pod}\" not found");
            return;
        }

        if (!TryReadOptions(query, clock.GetUtcNow(), out var options, out var problem))
        {
            await ProblemAsync(context, 400, problem);
            return;
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        var cancellationToken = context.RequestAborted;
        var path = pods.LogPathOf(@namespace, pod);
        var lines = ReadLines(path, options, out var offset);
        var budget = options.LimitBytes ?? long.MaxValue;
        var complete = await WriteAsync(context.Response, Format(lines, options.Timestamps, ref budget, out var whole), whole, cancellationToken);
        if (!complete || !options.Follow)
        {
            return;
        }

        // Follow: what is appended until the pod's process has ended, then what it wrote last.
        while (!cancellationToken.IsCancellationRequested)
        {
            var running = pods.IsRunning(@namespace, pod) || pods.Find(@namespace, pod)?.Status?.Phase is null or "Pending" or "Running";
            var appended = ReadFrom(path, ref offset);
            if (!await WriteAsync(context.Response, Format(appended, options.Timestamps, ref budget, out whole), whole, cancellationToken) || !running)
            {
                return;
            }

            await Task.Delay(FollowInterval, clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>The lines as kubectl shows them, cut at the byte budget; <paramref name="whole"/> is false once it is spent.</summary>
    private static string Format(IEnumerable<StepLogLine> lines, bool timestamps, ref long budget, out bool whole)
    {
        var text = new StringBuilder();
        whole = true;
        foreach (var line in lines)
        {
            var formatted = timestamps ? $"{line.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'00Z'", CultureInfo.InvariantCulture)} {line.Text}\n" : $"{line.Text}\n";
            var bytes = Encoding.UTF8.GetBytes(formatted);
            if (bytes.Length > budget)
            {
                text.Append(Encoding.UTF8.GetString(bytes, 0, (int)budget));
                budget = 0;
                whole = false;
                break;
            }

            text.Append(formatted);
            budget -= bytes.Length;
        }

        return text.ToString();
    }

    private static async Task<bool> WriteAsync(HttpResponse response, string text, bool whole, CancellationToken cancellationToken)
    {
        if (text.Length > 0)
        {
            await response.WriteAsync(text, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }

        return whole;
    }

    private static List<StepLogLine> ReadLines(string path, LogOptions options, out long offset)
    {
        offset = 0;
        var lines = ReadFrom(path, ref offset).Where(l => options.Since is not { } since || l.Time >= since).ToList();
        return options.TailLines is { } tail ? lines.Skip(Math.Max(0, lines.Count - tail)).ToList() : lines;
    }

    /// <summary>The whole output lines after <paramref name="offset"/>, which moves past them.</summary>
    private static List<StepLogLine> ReadFrom(string path, ref long offset)
    {
        byte[] bytes;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length <= offset)
            {
                return [];
            }

            file.Position = offset;
            bytes = new byte[file.Length - offset];
            file.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }

        // Lines are appended whole; a part after the last newline is still being written.
        var end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        offset += end;
        var lines = new List<StepLogLine>();
        foreach (var line in Encoding.UTF8.GetString(bytes, 0, end).Split('\n'))
        {
            if (StepLogLine.TryParse(line, out var parsed) && parsed.IsOutput)
            {
                lines.Add(parsed);
            }
        }

        return lines;
    }

    private static bool TryReadOptions(IQueryCollection query, DateTimeOffset now, out LogOptions options, out string problem)
    {
        options = new LogOptions(IsTrue(query["timestamps"]), IsTrue(query["follow"]), null, null, null);
        problem = "";
        if (query.TryGetValue("tailLines", out var tail))
        {
            if (!int.TryParse(tail, NumberStyles.None, CultureInfo.InvariantCulture, out var lines))
            {
                problem = $"tailLines is '{tail}': use a number of lines, 0 or more";
                return false;
            }

            options = options with { TailLines = lines };
        }

        if (query.TryGetValue("limitBytes", out var limit))
        {
            if (!long.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) || bytes < 1)
            {
                problem = $"limitBytes is '{limit}': use a number of bytes, 1 or more";
                return false;
            }

            options = options with { LimitBytes = bytes };
        }

        if (query.TryGetValue("sinceSeconds", out var seconds))
        {
            if (!long.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
            {
                problem = $"sinceSeconds is '{seconds}': use a number of seconds, 1 or more";
                return false;
            }

            options = options with { Since = now - TimeSpan.FromSeconds(value) };
        }
        else if (query.TryGetValue("sinceTime", out var time))
        {
            if (!DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since))
            {
                problem = $"sinceTime is '{time}': use an RFC 3339 time, for example 2026-01-31T12:00:00Z";
                return false;
            }

            options = options with { Since = since };
        }

        return true;
    }

    private static bool IsTrue(string? value) => value is "true" or "1";

    private static Task ProblemAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message, context.RequestAborted);
    }

    private sealed record LogOptions(bool Timestamps, bool Follow, int? TailLines, long? LimitBytes, DateTimeOffset? Since);
}
